/** The application menu and its shortcuts; what each item does is main's (index.ts) to decide. */
import type { MenuItemConstructorOptions } from "electron";

export interface MenuActions {
  importFolder(): void;
  importFiles(): void;
  importDicomdir(): void;
  settings(): void;
  toggleFullScreen(): void;
  fullScreenEverywhere(): void;
  checkForUpdates(): void;
}

export function menuTemplate(
  platform: string,
  developer: boolean,
  actions: MenuActions,
): MenuItemConstructorOptions[] {
  const mac = platform === "darwin";
  const settings: MenuItemConstructorOptions = {
    label: mac ? "Settings…" : "&Settings…",
    accelerator: "CmdOrCtrl+,",
    click: actions.settings,
  };
  const file: MenuItemConstructorOptions[] = [
    { label: "Import Folder or CD…", accelerator: "CmdOrCtrl+O", click: actions.importFolder },
    { label: "Import Files…", accelerator: "CmdOrCtrl+Shift+O", click: actions.importFiles },
    { label: "Import DICOMDIR…", click: actions.importDicomdir },
    ...(mac
      ? []
      : [
          { type: "separator" } as const,
          settings,
          { type: "separator" } as const,
          { role: "quit" } as const,
        ]),
  ];
  return [
    ...(mac
      ? [
          {
            label: "Hilum",
            submenu: [
              { role: "about" },
              { type: "separator" },
              settings,
              { type: "separator" },
              { role: "hide" },
              { role: "hideOthers" },
              { role: "unhide" },
              { type: "separator" },
              { role: "quit" },
            ],
          } satisfies MenuItemConstructorOptions,
        ]
      : []),
    { label: mac ? "File" : "&File", submenu: file },
    { role: "editMenu" },
    {
      label: mac ? "View" : "&View",
      submenu: [
        { label: "Full Screen", accelerator: mac ? "Ctrl+Cmd+F" : "F11", click: actions.toggleFullScreen },
        {
          label: "Full Screen on Every Display",
          accelerator: mac ? "Ctrl+Cmd+Shift+F" : "Shift+F11",
          click: actions.fullScreenEverywhere,
        },
        { type: "separator" },
        { role: "reload" },
        ...(developer ? [{ role: "toggleDevTools" } as const] : []),
      ],
    },
    { role: "windowMenu" },
    {
      label: mac ? "Help" : "&Help",
      submenu: [{ label: "Check for Updates…", click: actions.checkForUpdates }],
    },
  ];
}
