/**
 * The app's routes live in the URL hash, so the server serves one page and EMR launch links
 * (`/#/study/{uid}`, `/#/patient/{id}`, `/#/studies?…`, docs/emr-launch.md) open the right view.
 */
export type Route =
  | { name: "login" }
  | { name: "studies"; query: Record<string, string> }
  | { name: "study"; studyUid: string }
  | { name: "patient"; patientId: string }
  | { name: "settings" }
  | { name: "first-run" }
  | { name: "workflow" };

export function parseRoute(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#/, "").split("?");
  const query = Object.fromEntries(new URLSearchParams(search));
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "login") return { name: "login" };
  if (parts[0] === "settings") return { name: "settings" };
  if (parts[0] === "first-run") return { name: "first-run" };
  if (parts[0] === "study" && parts[1]) return { name: "study", studyUid: parts[1] };
  if (parts[0] === "patient" && parts[1]) return { name: "patient", patientId: parts[1] };
  if (parts[0] === "workflow") return { name: "workflow" };
  return { name: "studies", query };
}
