/** Input that is not well-formed DICOM. The message names the offset (and the tag, when known). */
export class DicomParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly tag?: number,
  ) {
    super(message);
    this.name = "DicomParseError";
  }
}
