/** The part of dcmjs Hilum touches at runtime (its log level); dcmjs ships no types. */
declare module "dcmjs" {
  const dcmjs: { log: { setLevel(level: string): void } };
  export default dcmjs;
}
