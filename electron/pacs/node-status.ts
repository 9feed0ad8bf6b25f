/** What `GET /api/status` and `hilum status` report about a running node. */
export interface NodeStatus {
  version: string;
  aeTitle: string;
  startedAt: string;
  dicom: { host: string; port: number; activeAssociations: number };
  http: { url: string };
  archive: { patients: number; studies: number; series: number; instances: number; bytes: number };
}
