/**
 * Why a signing secret is too weak to use, or undefined when it is fine.
 * Catches the placeholders shipped in examples and secrets that are long but
 * predictable (32 spaces, 32 × "a", "abab…"). The estimate is the string's
 * own character-frequency (Shannon) entropy times its length: a random hex
 * string of 32 characters scores about 120 bits, "aaaa…" scores 0.
 */
const PLACEHOLDER = /change[-_ ]?me|placeholder|example|replace[-_ ]?(me|this)|your[-_ ]?secret|not[-_ ]?secret/i;
const MIN_ESTIMATED_BITS = 96;
const MIN_DISTINCT_CHARACTERS = 8;

export function estimatedEntropyBits(secret: string): number {
  const counts = new Map<string, number>();
  for (const character of secret) counts.set(character, (counts.get(character) ?? 0) + 1);
  const length = [...secret].length;
  let bitsPerCharacter = 0;
  for (const count of counts.values()) {
    const p = count / length;
    bitsPerCharacter -= p * Math.log2(p);
  }
  return bitsPerCharacter * length;
}

export function weakSecretReason(secret: string): string | undefined {
  if (PLACEHOLDER.test(secret)) return 'is a placeholder from an example file, not a secret';
  if (new Set(secret).size < MIN_DISTINCT_CHARACTERS || estimatedEntropyBits(secret) < MIN_ESTIMATED_BITS) {
    return 'is too predictable (too few different characters)';
  }
  return undefined;
}
