// Reads the generated contract at run time (tests only): its message constants, and whether a value has a record's shape.
import * as contract from '../../extension/src/sidecar/protocol.generated';

export interface GeneratedMethod {
  method: string;
  kind: 'request' | 'notification';
  numberOfParams: number;
}

/** Every message constant of the generated `*Methods` objects. */
export function generatedMethods(): GeneratedMethod[] {
  return Object.entries(contract)
    .filter(([name]) => name.endsWith('Methods'))
    .flatMap(([, group]) => Object.values(group as Record<string, { method: string; numberOfParams: number; constructor: { name: string } }>))
    .map((m) => ({ method: m.method, kind: m.constructor.name.startsWith('Request') ? 'request' : 'notification', numberOfParams: m.numberOfParams }));
}

/** What is wrong with `value` as a `shape` ("string", "JobInfo[]?", a record or enum name); empty when nothing. */
export function shapeProblems(value: unknown, shape: string, where: string): string[] {
  if (shape.endsWith('?')) {
    return value === undefined ? [] : shapeProblems(value, shape.slice(0, -1), where);
  }
  if (value === undefined || value === null) {
    return [`${where}: missing (${shape})`];
  }
  if (shape.endsWith('[]')) {
    return Array.isArray(value) ? value.flatMap((v, i) => shapeProblems(v, shape.slice(0, -2), `${where}[${i}]`)) : [`${where}: not a list`];
  }
  const map = /^Record<string, (.*)>$/.exec(shape);
  if (map) {
    return typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value as object).flatMap(([k, v]) => shapeProblems(v, map[1], `${where}.${k}`))
      : [`${where}: not a map`];
  }
  if (shape === 'string' || shape === 'number' || shape === 'boolean') {
    return typeof value === shape ? [] : [`${where}: ${JSON.stringify(value)} is not a ${shape}`];
  }
  if (shape === 'unknown') {
    return [];
  }
  const values = contract.protocolEnums[shape];
  if (values) {
    return values.includes(value as string) ? [] : [`${where}: ${JSON.stringify(value)} is not a ${shape} (${values.join(', ')})`];
  }
  const fields = contract.protocolShapes[shape];
  if (!fields) {
    return [`${where}: unknown type ${shape}`];
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    return [`${where}: not a ${shape} object`];
  }
  const extra = Object.keys(value as object).filter((k) => !(k in fields)).map((k) => `${where}.${k}: not a member of ${shape}`);
  return [...extra, ...Object.entries(fields).flatMap(([k, s]) => shapeProblems((value as Record<string, unknown>)[k], s, `${where}.${k}`))];
}
