/**
 * Text that pacsmap itself wrote (or a protocol fact that is never personal data, such as an
 * implementation version name), as opposed to a value read from a patient record. Loggers and
 * reports take `SafeText`, not `string`, so a patient value cannot reach them by accident:
 * the type checker refuses it, and `safe()` at the call site is a visible, reviewable claim.
 */
declare const brand: unique symbol;
export type SafeText = string & { readonly [brand]: 'SafeText' };

export function safe(text: string): SafeText {
  return text as SafeText;
}
