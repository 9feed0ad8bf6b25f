/**
 * Why an image operation could not be done, in words a client can act on. `kind` lets the HTTP layer
 * choose the status: the object has no image (406 for a rendered representation), a frame or element that
 * does not exist (404), a representation that cannot be produced (406), a request parameter that is wrong
 * (400), or stored data that is damaged (500, logged).
 */
export type ImagingErrorKind = "not-an-image" | "not-found" | "unsupported" | "bad-request" | "corrupt";

export class ImagingError extends Error {
  override name = "ImagingError";
  constructor(
    readonly kind: ImagingErrorKind,
    message: string,
  ) {
    super(message);
  }
}
