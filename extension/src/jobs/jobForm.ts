// Turns the fine-tune form's string fields into a JobSpec and checks what the extension can check
// before asking the sidecar (jobs/preview validates the rest). No `vscode` import.
import { JobSpec, JobTunerKind, RpcServerCodes, TrustHostParams } from '../sidecar/protocol.generated';
import { errorData } from '../sidecar/rpcErrors';

export type JobFormValues = Record<string, string | undefined>;

export interface JobFormResult {
  spec: JobSpec;
  errors: { field: string; message: string }[];
}

const numberFields: { field: keyof JobSpec; integer: boolean; min: number }[] = [
  { field: 'numTrainEpochs', integer: false, min: 0 },
  { field: 'maxSteps', integer: true, min: 1 },
  { field: 'learningRate', integer: false, min: 0 },
  { field: 'loraRank', integer: true, min: 1 },
  { field: 'loraAlpha', integer: true, min: 1 },
  { field: 'batchSize', integer: true, min: 1 },
  { field: 'maxLength', integer: true, min: 1 },
  { field: 'gpusPerNode', integer: true, min: 1 },
  { field: 'nodes', integer: true, min: 1 },
  { field: 'timeLimitMinutes', integer: true, min: 1 },
];

export function parseJobForm(values: JobFormValues): JobFormResult {
  const errors: JobFormResult['errors'] = [];
  const text = (k: string) => (values[k] ?? '').trim();
  const backend = text('backend');
  if (!/^(ssh|slurm):\/\/[^@\s/]+@[^\s/:]+(:\d{1,5})?\/?$/.test(backend)) {
    errors.push({ field: 'backend', message: 'Backend must look like ssh://user@host[:port] or slurm://user@host[:port].' });
  }
  const model = text('model');
  if (!model) {
    errors.push({ field: 'model', message: 'Model is required.' });
  }
  const dataset = text('dataset')
    .split(/[\s,]+/)
    .filter((d) => d.length > 0);
  if (dataset.length === 0) {
    errors.push({ field: 'dataset', message: 'At least one dataset is required.' });
  }
  const tunerText = text('tuner') || 'lora';
  const tuner = (['lora', 'qlora', 'full'].includes(tunerText) ? tunerText : 'lora') as JobTunerKind;
  if (tuner !== tunerText) {
    errors.push({ field: 'tuner', message: 'Tuner must be lora, qlora or full.' });
  }
  const spec: JobSpec = { backend, model, dataset, tuner };
  for (const { field, integer, min } of numberFields) {
    const raw = text(field);
    if (!raw) {
      continue;
    }
    const value = Number(raw);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || (field === 'learningRate' && value <= 0)) {
      errors.push({ field, message: `${field} must be ${integer ? 'a whole number' : 'a number'} ≥ ${min}${field === 'learningRate' ? ' (greater than 0)' : ''}.` });
      continue;
    }
    (spec as unknown as Record<string, unknown>)[field] = value;
  }
  if (spec.numTrainEpochs === undefined && spec.maxSteps === undefined) {
    errors.push({ field: 'numTrainEpochs', message: 'Give the number of epochs or the maximum number of steps.' });
  }
  for (const field of ['identityFile', 'outputDir', 'uploadDataset'] as const) {
    if (text(field)) {
      spec[field] = text(field);
    }
  }
  const extra = text('extraArgs');
  if (extra) {
    spec.extraArgs = extra.split(/\s+/);
  }
  return { spec, errors };
}

/** Form values for a preset or a model picked in the tree (strings, as the form shows them). */
export function formValuesFromSpec(spec: Partial<JobSpec>): JobFormValues {
  const values: JobFormValues = {};
  for (const [key, value] of Object.entries(spec)) {
    if (value === undefined || value === null) {
      continue;
    }
    values[key] = Array.isArray(value) ? value.join(key === 'dataset' ? ', ' : ' ') : String(value);
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
