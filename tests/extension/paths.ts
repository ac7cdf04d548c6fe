// Locations shared by the extension's unit and integration tests (compiled to extension/out/tests/extension).
import * as path from 'node:path';

export const extensionRoot = path.resolve(__dirname, '..', '..', '..');
export const repoRoot = path.resolve(extensionRoot, '..');
