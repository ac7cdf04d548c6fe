// Removes anything token-shaped from text before it reaches a log or the UI.
// Mirrors backend/ModelIde.Core/Diagnostics/SecretRedactor.cs (same patterns, same order).

export const MASK = '***';

const knownSecrets = new Set<string>();

const namedSecret =
  /\b((?:access_token|refresh_token|id_token|token|code_verifier|client_secret|password|m_session_id|git_token|MODELSCOPE_API_TOKEN|X-SLURM-USER-TOKEN)["']?\s*[=:]\s*["']?)[^\s"'&,;}]{4,}/gi;
const bearerValue = /\b(bearer\s+)[A-Za-z0-9_\-.=:+/]{6,}/gi;
const urlPassword = /(:\/\/[^/\s:@]*:)[^@\s/]+@/gi;
const jwt = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const modelScopeToken = /\bms-[A-Za-z0-9_-]{6,}/g;

/** Secrets known at run time (the current token, a git token) that may not look like a token. */
export function addKnownSecret(secret: string | undefined | null): void {
  if (secret && secret.length >= 6) {
    knownSecrets.add(secret);
  }
}

export function clearKnownSecrets(): void {
  knownSecrets.clear();
}

export function redact(text: string | undefined | null): string {
  if (!text) {
    return text ?? '';
  }
  let result = text;
  for (const secret of knownSecrets) {
    result = result.split(secret).join(MASK);
  }
  result = result.replace(namedSecret, (_m, keep: string) => keep + MASK);
  result = result.replace(bearerValue, (_m, keep: string) => keep + MASK);
  result = result.replace(urlPassword, (_m, keep: string) => keep + MASK + '@');
  result = result.replace(jwt, MASK);
  result = result.replace(modelScopeToken, MASK);
  return result;
}
