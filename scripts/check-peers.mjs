// Stops `npm test` / `npm run bench` at once, with one line, when a real peer the tests drive is missing.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const PYDICOM_TEST_FILES = "/usr/lib/python3/dist-packages/pydicom/data/test_files";
const APT =
  "apt-get install -y dcmtk orthanc orthanc-dicomweb python3-pydicom dicom3tools libgdcm-tools openssl chromium fonts-dejavu-core";
const commands = ["echoscu", "storescu", "storescp", "findscu", "movescu", "getscu", "dcmqrscp"];
// openssl makes the TLS tests' certificates; chromium runs the renderer's tests.
const more = [
  "dcmcjpls",
  "dcmcjpeg",
  "dcmcrle",
  "dcmdump",
  "gdcmconv",
  "dciodvfy",
  "Orthanc",
  "openssl",
  "chromium",
];

function onPath(command) {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"]);
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function exists(path) {
  try {
    accessSync(path);
    return true;
  } catch {
    return false;
  }
}

const missing = [...commands, ...more].filter((c) => !onPath(c));
if (!exists(PYDICOM_TEST_FILES)) missing.push("pydicom test files");
if (!exists("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")) missing.push("orthanc-dicomweb plugin");
if (missing.length > 0) {
  console.error(`Missing test peers (${missing.join(", ")}): run \`sudo ${APT}\``);
  process.exit(1);
}
