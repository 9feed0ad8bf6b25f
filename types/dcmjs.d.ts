/** The part of dcmjs Hilum uses at runtime; dcmjs ships no types. */
declare module "dcmjs" {
  interface DicomElement {
    vr: string;
    Value?: unknown[];
  }
  interface DicomDict {
    meta: Record<string, DicomElement>;
    dict: Record<string, DicomElement>;
    write(): ArrayBuffer;
  }
  const dcmjs: {
    log: { setLevel(level: string): void };
    data: { DicomMessage: { readFile(buffer: ArrayBuffer): DicomDict } };
  };
  export default dcmjs;
}
