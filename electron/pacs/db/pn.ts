/**
 * Person Name (PN) keys for matching. Only the first (alphabetic) component group takes part in matching;
 * the ideographic and phonetic groups are stored and returned but never compared.
 */

/** The alphabetic component group, without the trailing empty components that DICOM treats as absent. */
export function alphabeticGroup(name: string): string {
  const group = name.split("=", 1)[0] ?? "";
  return group.replace(/[\^ ]+$/u, "");
}

/**
 * Lower-cases code point by code point and keeps any code point whose lower case would be longer
 * (e.g. "İ"), so that a `?` wildcard still stands for exactly one character after folding. Final sigma
 * folds to σ, as Unicode case folding has it: "ΠΑΠΑΔΌΠΟΥΛΟΣ" and "Παπαδόπουλος" share a key.
 */
export function foldCase(text: string): string {
  let folded = "";
  for (const ch of text.normalize("NFC")) {
    const lower = ch === "ς" ? "σ" : ch.toLowerCase();
    folded += [...lower].length === 1 ? lower : ch;
  }
  return folded;
}

/** Case-insensitive key: "Müller^Jörg" and "MÜLLER^JÖRG" share it. */
export function pnMatchKey(name: string): string {
  return foldCase(alphabeticGroup(name));
}

/** Fuzzy key: case and accents ignored, so "Muller^Jorg" finds "Müller^Jörg". */
export function pnFuzzyKey(name: string): string {
  const stripped = alphabeticGroup(name).normalize("NFD").replace(/\p{M}/gu, "");
  return foldCase(stripped);
}
