import type { DestinationStatus } from "./router/router.js";

/** What `GET /api/status` and `hilum status` report about a running node. */
export interface NodeStatus {
  version: string;
  aeTitle: string;
  startedAt: string;
  dicom: { host: string; port: number; tls?: { host: string; port: number }; activeAssociations: number };
  http: { url: string };
  archive: { patients: number; studies: number; series: number; instances: number; bytes: number };
  /** Per routing destination: queue depth by state, deliveries in the last minute, latency, last error. */
  router: DestinationStatus[];
}
