import { z } from "zod";

/** `dicomWeb` in the configuration: how the DICOMweb routes answer (QIDO-RS, WADO-RS, WADO-URI). */
export const dicomWebSchema = z.strictObject({
  /**
   * The absolute DICOMweb root clients reach, for the URLs in responses (RetrieveURL, BulkDataURI), e.g.
   * `https://pacs.example.org/dicom-web` behind a reverse proxy; default: the request's scheme and Host.
   */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Most matches one QIDO-RS response holds; past it the response says so in a Warning header. */
  qidoMaxResults: z.number().int().min(1).max(100_000).default(1000),
  /** Cache-Control max-age of retrieve and metadata responses (clients revalidate with If-None-Match). */
  cacheMaxAgeSeconds: z.number().int().min(0).max(31_536_000).default(60),
  /**
   * Frame and pixel bulk data requests of one study by one user from one address are audited once per this
   * many seconds: the first request's row stands for the rest of the window. 0: a row for every request.
   */
  auditWindowSeconds: z.number().int().min(0).max(3600).default(60),
});
