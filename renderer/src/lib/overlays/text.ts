/**
 * The text in the viewport's four corners, from the shown instance's own metadata (never from the study
 * list: the name on the image is the name in the image) and the view state. Pure.
 *
 * Top left: patient name, ID, birth date and sex. Top right: study description, study date and time, series
 * number and description. Bottom left: instance number and position in the stack, slice location and
 * thickness. Bottom right: window and zoom.
 */
import * as tags from "../../../../shared/dicom/tags";
import { numberOf, stringOf } from "../imaging/dicom-json";
import type { DicomJson, FrameInfo, ViewTransform, Voi } from "../viewer-contract";

export interface CornerText {
  topLeft: string[];
  topRight: string[];
  bottomLeft: string[];
  bottomRight: string[];
}

export interface ViewState {
  voi: Voi;
  transform: ViewTransform;
  /** 0-based position in the stack, and the stack's length. */
  index: number;
  length: number;
  devicePixelRatio: number;
}

/** PN "Family^Given^Middle^Prefix^Suffix" → "Family, Given Middle"; the alphabetic group only. */
export function formatPersonName(pn: string | undefined): string {
  if (!pn) return "";
  const [family = "", given = "", middle = "", prefix = "", suffix = ""] = pn.split("=")[0]!.split("^");
  const first = [prefix, given, middle].filter(Boolean).join(" ");
  const name = [family, first].filter(Boolean).join(", ");
  return [name, suffix].filter(Boolean).join(" ").trim();
}

/** DA "YYYYMMDD" → "YYYY-MM-DD"; anything else as given. */
export function formatDate(da: string | undefined): string {
  if (!da) return "";
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  return match ? `${match[1]}-${match[2]}-${match[3]}` : da.trim();
}

/** TM "HHMMSS.FFF" → "HH:MM"; anything else as given. */
export function formatTime(tm: string | undefined): string {
  if (!tm) return "";
  const match = /^(\d{2})(\d{2})/.exec(tm.trim());
  return match ? `${match[1]}:${match[2]}` : tm.trim();
}

/** A length in mm with up to 2 decimals, trailing zeros dropped. */
export function formatMm(value: number): string {
  return `${Number(value.toFixed(2))} mm`;
}

/** Window as radiologists say it: W (width) and L (level = centre), rounded. */
export function formatWindow(voi: Voi): string {
  const round = (v: number) => (Math.abs(v) >= 10 ? Math.round(v) : Number(v.toFixed(2)));
  return `W ${round(voi.width)} L ${round(voi.center)}`;
}

/** Zoom as the share of device pixels per image pixel (100% = 1:1 on the display). */
export function formatZoom(transform: ViewTransform, devicePixelRatio: number): string {
  return `Zoom ${Math.round(transform.scale * devicePixelRatio * 100)}%`;
}

export function cornerText(
  json: DicomJson | undefined,
  frame: FrameInfo | undefined,
  view: ViewState,
): CornerText {
  const text = (tag: number) => stringOf(json, tag)?.trim() ?? "";
  const birthAndSex = [formatDate(text(tags.PatientBirthDate)), text(tags.PatientSex)]
    .filter(Boolean)
    .join(" ");
  const studyWhen = [formatDate(text(tags.StudyDate)), formatTime(text(tags.StudyTime))]
    .filter(Boolean)
    .join(" ");
  const seriesNumber = frame?.seriesNumber ?? numberOf(json, tags.SeriesNumber);
  const series = [seriesNumber === undefined ? "" : `Se ${seriesNumber}`, text(tags.SeriesDescription)]
    .filter(Boolean)
    .join(" ");

  const instanceNumber = frame?.instanceNumber ?? numberOf(json, tags.InstanceNumber);
  const image = [
    instanceNumber === undefined ? "" : `Im ${instanceNumber}`,
    frame && frame.numberOfFrames > 1 ? `Fr ${frame.frameNumber}/${frame.numberOfFrames}` : "",
    view.length > 0 ? `(${view.index + 1}/${view.length})` : "",
  ]
    .filter(Boolean)
    .join(" ");
  const bottomLeft = [image];
  if (frame?.sliceLocation !== undefined) bottomLeft.push(`Loc ${formatMm(frame.sliceLocation)}`);
  if (frame?.sliceThickness !== undefined) bottomLeft.push(`Thick ${formatMm(frame.sliceThickness)}`);

  return {
    topLeft: [formatPersonName(text(tags.PatientName)), text(tags.PatientID), birthAndSex].filter(Boolean),
    topRight: [text(tags.StudyDescription), studyWhen, series].filter(Boolean),
    bottomLeft: bottomLeft.filter(Boolean),
    bottomRight: [formatWindow(view.voi), formatZoom(view.transform, view.devicePixelRatio)],
  };
}
