/** The drag-and-drop type a series carries from the thumbnail strip to a viewport. */
export const SERIES_DRAG_TYPE = "application/x-hilum-series";

/** The series UID a drag carries, if it carries one. */
export function draggedSeries(event: DragEvent): string | undefined {
  const uid = event.dataTransfer?.getData(SERIES_DRAG_TYPE);
  return uid ? uid : undefined;
}

export function carriesSeries(event: DragEvent): boolean {
  return event.dataTransfer?.types.includes(SERIES_DRAG_TYPE) ?? false;
}
