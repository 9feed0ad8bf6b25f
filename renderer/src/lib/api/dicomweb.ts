/**
 * DICOMweb addresses (docs/conformance.md §5–7). Paths only: the image core and the study browser do the
 * fetching, with the same credentials as the app API (the session cookie on the page's origin; in the
 * desktop app the core serves the same paths on loopback).
 */

let root = "/dicom-web";

/** Where DICOMweb lives: `/dicom-web` on the page's origin unless set (the desktop app sets its loopback URL). */
export function dicomWebRoot(): string {
  return root;
}

export function setDicomWebRoot(url: string): void {
  root = url.replace(/\/+$/, "");
}

const seg = (uid: string) => encodeURIComponent(uid);

export const dicomWeb = {
  /** STOW-RS target (POST) and QIDO-RS study search (GET). */
  studies: () => `${root}/studies`,
  study: (study: string) => `${root}/studies/${seg(study)}`,
  /** QIDO-RS: the study's series. */
  studySeries: (study: string) => `${root}/studies/${seg(study)}/series`,
  series: (study: string, series: string) => `${root}/studies/${seg(study)}/series/${seg(series)}`,
  /** QIDO-RS: the series' instances. */
  seriesInstances: (study: string, series: string) =>
    `${root}/studies/${seg(study)}/series/${seg(series)}/instances`,
  seriesMetadata: (study: string, series: string) =>
    `${root}/studies/${seg(study)}/series/${seg(series)}/metadata`,
  instance: (study: string, series: string, instance: string) =>
    `${root}/studies/${seg(study)}/series/${seg(series)}/instances/${seg(instance)}`,
  instanceMetadata: (study: string, series: string, instance: string) =>
    `${dicomWeb.instance(study, series, instance)}/metadata`,
  /** 1-based frame numbers. */
  frames: (study: string, series: string, instance: string, frames: number | readonly number[]) =>
    `${dicomWeb.instance(study, series, instance)}/frames/${typeof frames === "number" ? frames : frames.join(",")}`,
  studyThumbnail: (study: string) => `${root}/studies/${seg(study)}/thumbnail`,
  /** At most 128×128 unless a viewport is asked for. */
  seriesThumbnail: (study: string, series: string, viewport?: { width: number; height: number }) =>
    `${dicomWeb.series(study, series)}/thumbnail${viewport ? `?viewport=${viewport.width},${viewport.height}` : ""}`,
  instanceRendered: (study: string, series: string, instance: string) =>
    `${dicomWeb.instance(study, series, instance)}/rendered`,
};

/**
 * The Accept header that gives frames as stored (the codestream, decoded in the browser): one part per
 * frame whose Content-Type names its transfer syntax.
 */
export const ACCEPT_FRAMES_AS_STORED =
  'multipart/related; type="application/octet-stream"; transfer-syntax=*';
export const ACCEPT_DICOM_JSON = "application/dicom+json";
