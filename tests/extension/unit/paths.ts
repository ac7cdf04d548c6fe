// Locations shared by the unit tests (compiled to extension/out/tests/extension/unit).
import * as path from 'node:path';

export const extensionRoot = path.resolve(__dirname, '..', '..', '..', '..');
export const repoRoot = path.resolve(extensionRoot, '..');
