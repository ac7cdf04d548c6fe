// Turns the fine-tune form's string fields into a JobSpec. Only what cannot be sent is checked here (text in a number
// field, a fraction where a whole number goes, GPUs that are not GPU numbers, a tuner that is not one): every rule
// about a job is jobs/preview's, whose errors the form shows beside their fields. No `vscode` import.
import { JobSpec, JobSpecError, JobTunerKind, protocolEnums, protocolIntegers, protocolShapes, RpcServerCodes, TrustHostParams } from '../sidecar/protocol.generated';
import { errorData } from '../sidecar/rpcErrors';

export type JobFormValues = Record<string, string | undefined>;

export interface JobFormResult {
  spec: JobSpec;
  errors: JobSpecError[];
}

/** The spec's number members, whole or not, from the generated contract (the types say `number` for both). */
const wholeNumbers = new Set(protocolIntegers.JobSpec);
const numberFields = Object.entries(protocolShapes.JobSpec)
  .filter(([, type]) => type === 'number' || type === 'number?')
  .map(([field]) => ({ field: field as keyof JobSpec, integer: wholeNumbers.has(field) }));

/** Quotes a word for a POSIX shell when it needs it (the sidecar splits these fields with shell quoting). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9@%_+=:,./#-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** "0, 3 5" → [0, 3, 5]; undefined for an empty field; null when it is not a list of GPU numbers. */
export function parseGpuIndices(text: string): number[] | undefined | null {
  const parts = text.split(/[\s,]+/).filter((p) => p.length > 0);
  if (parts.length === 0) {
    return undefined;
  }
  const numbers = parts.map((p) => (/^\d{1,2}$/.test(p) ? Number(p) : NaN));
  return numbers.some((n) => Number.isNaN(n)) || new Set(numbers).size !== numbers.length ? null : numbers;
}

export function parseJobForm(values: JobFormValues): JobFormResult {
  const errors: JobSpecError[] = [];
  const text = (k: string) => (values[k] ?? '').trim();
  // Datasets and extra arguments go to the sidecar as typed: it splits them with shell quoting ('my file.jsonl').
  const datasetText = text('dataset');
  const tunerText = text('tuner') || 'lora';
  const tuners = protocolEnums.JobTunerKind;
  if (!tuners.includes(tunerText)) {
    errors.push({ field: 'tuner', message: `Tuner must be ${tuners.join(', ')}.` });
  }
  const tuner = (tuners.includes(tunerText) ? tunerText : 'lora') as JobTunerKind;
  const spec: JobSpec = { backend: text('backend'), model: text('model'), dataset: [], tuner };
  if (datasetText) {
    spec.datasetText = datasetText;
  }
  for (const { field, integer } of numberFields) {
    const raw = text(field);
    if (!raw) {
      continue;
    }
    const value = Number(raw);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      errors.push({ field, message: `${field} must be ${integer ? 'a whole number' : 'a number'}.` });
      continue;
    }
    (spec as unknown as Record<string, unknown>)[field] = value;
  }
  for (const field of ['identityFile', 'outputDir', 'uploadDataset'] as const) {
    if (text(field)) {
      spec[field] = text(field);
    }
  }
  const extra = text('extraArgs');
  if (extra) {
    spec.extraArgsText = extra;
  }
  const gpus = parseGpuIndices(text('gpuIndices'));
  if (gpus === null) {
    errors.push({ field: 'gpuIndices', message: 'GPUs must be distinct GPU numbers as nvidia-smi lists them, e.g. 0,3.' });
  } else if (gpus) {
    spec.gpuIndices = gpus;
  }
  const dtype = text('bnbComputeDtype');
  if (dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float32') {
    spec.bnbComputeDtype = dtype;
  }
  const saveOnly = text('saveOnlyModel');
  if (saveOnly === 'true' || saveOnly === 'false') {
    spec.saveOnlyModel = saveOnly === 'true';
  }
  return { spec, errors };
}

/** jobs/preview's errors, split into those the form shows beside a field it has and the rest. */
export function placePreviewErrors(errors: JobSpecError[], formFields: readonly string[]): { fieldErrors: JobSpecError[]; errors: string[] } {
  return {
    fieldErrors: errors.filter((e) => formFields.includes(e.field)),
    errors: errors.filter((e) => !formFields.includes(e.field)).map((e) => e.message),
  };
}

/** Form values for a preset or a model picked in the tree (strings, as the form shows them). */
export function formValuesFromSpec(spec: Partial<JobSpec>): JobFormValues {
  const values: JobFormValues = {};
  for (const [key, value] of Object.entries(spec)) {
    if (value === undefined || value === null) {
      continue;
    }
    if (key === 'datasetText' || key === 'extraArgsText') {
      values[key === 'datasetText' ? 'dataset' : 'extraArgs'] = String(value);
    } else if (key === 'gpuIndices' && Array.isArray(value)) {
      values.gpuIndices = value.join(',');
    } else if (Array.isArray(value)) {
      const joined = (value as string[]).map(shellQuote).join(' ');
      if (joined) {
        values[key] = joined;
      }
    } else {
      values[key] = String(value);
    }
  }
  return values;
}

/** Unknown SSH host: the sidecar's error carries the host, port and fingerprint to show and, on consent, to trust. */
export function unknownHostFrom(error: unknown): TrustHostParams | undefined {
  const data = errorData(error);
  if (data?.serverCode !== RpcServerCodes.unknownHostKey || !data.host || !data.fingerprint) {
    return undefined;
  }
  return { host: data.host, port: data.port ?? 22, fingerprint: data.fingerprint };
}
