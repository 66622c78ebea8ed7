/**
 * The fixed 14-column schema of neptune-exporter archives (model.py::SCHEMA, format spec 2) and the
 * small conversions every reader and writer of it needs. The column order and the physical types
 * below are what pyarrow 21 writes; the writer reproduces them exactly so that the exporter's own
 * reader (`pq.read_table(path, schema=SCHEMA)`) and its loaders accept our archives.
 */
import type { SchemaElement } from 'hyparquet';

export const COLUMNS = [
  'project_id',
  'run_id',
  'attribute_path',
  'attribute_type',
  'step',
  'timestamp',
  'int_value',
  'float_value',
  'string_value',
  'bool_value',
  'datetime_value',
  'string_set_value',
  'file_value',
  'histogram_value',
] as const;
export type Column = (typeof COLUMNS)[number];

/** Every `attribute_type` the exporter writes (spec 2.1). */
export const ATOM_TYPES = ['float', 'int', 'string', 'bool', 'datetime', 'string_set'] as const;
export const SERIES_TYPES = ['float_series', 'string_series', 'histogram_series'] as const;
export const FILE_TYPES = ['file', 'file_series', 'file_set', 'artifact'] as const;
export type AtomType = (typeof ATOM_TYPES)[number];
export type AttributeType = AtomType | (typeof SERIES_TYPES)[number] | (typeof FILE_TYPES)[number];

const KNOWN_TYPES: ReadonlySet<string> = new Set<string>([...ATOM_TYPES, ...SERIES_TYPES, ...FILE_TYPES]);

export function isAttributeType(value: unknown): value is AttributeType {
  return typeof value === 'string' && KNOWN_TYPES.has(value);
}

export function isAtomType(value: string): value is AtomType {
  return (ATOM_TYPES as readonly string[]).includes(value);
}

/** decimal(18, 6): steps are stored as `step * 10^6` in a signed 64-bit range. */
export const STEP_SCALE = 6;
export const STEP_FACTOR = 1_000_000n;
/** Largest unscaled value precision 18 allows (|step| < 10^12). */
export const MAX_UNSCALED_STEP = 10n ** 18n - 1n;

export interface Histogram {
  type: string | null;
  edges: Array<number | null> | null;
  values: Array<number | null> | null;
}

const utf8 = (name: string): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  repetition_type: 'OPTIONAL',
  converted_type: 'UTF8',
  logical_type: { type: 'STRING' },
});

const timestampMs = (name: string): SchemaElement => ({
  name,
  type: 'INT64',
  repetition_type: 'OPTIONAL',
  converted_type: 'TIMESTAMP_MILLIS',
  logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
});

/** A 3-level LIST of optional elements, as pyarrow writes `list<item: T>`. */
function list(name: string, element: SchemaElement): SchemaElement[] {
  return [
    { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    element,
  ];
}

/**
 * The Parquet schema our writer emits, flattened depth-first as the footer stores it. `step` is
 * FIXED_LEN_BYTE_ARRAY(8) like pyarrow's decimal128(18, 6); timestamps are MILLIS adjusted to UTC.
 */
export const PARQUET_SCHEMA: SchemaElement[] = [
  { name: 'schema', num_children: COLUMNS.length },
  utf8('project_id'),
  utf8('run_id'),
  utf8('attribute_path'),
  utf8('attribute_type'),
  {
    name: 'step',
    type: 'FIXED_LEN_BYTE_ARRAY',
    type_length: 8,
    repetition_type: 'OPTIONAL',
    converted_type: 'DECIMAL',
    scale: STEP_SCALE,
    precision: 18,
    logical_type: { type: 'DECIMAL', scale: STEP_SCALE, precision: 18 },
  },
  timestampMs('timestamp'),
  { name: 'int_value', type: 'INT64', repetition_type: 'OPTIONAL' },
  { name: 'float_value', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  utf8('string_value'),
  { name: 'bool_value', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
  timestampMs('datetime_value'),
  ...list('string_set_value', utf8('element')),
  { name: 'file_value', repetition_type: 'OPTIONAL', num_children: 1 },
  utf8('path'),
  { name: 'histogram_value', repetition_type: 'OPTIONAL', num_children: 3 },
  utf8('type'),
  ...list('edges', { name: 'element', type: 'DOUBLE', repetition_type: 'OPTIONAL' }),
  ...list('values', { name: 'element', type: 'DOUBLE', repetition_type: 'OPTIONAL' }),
];

/** Exact decimal text of an unscaled step, e.g. 2500000n -> "2.5", -3000000n -> "-3". */
export function formatUnscaledStep(unscaled: bigint): string {
  const negative = unscaled < 0n;
  const abs = negative ? -unscaled : unscaled;
  const whole = abs / STEP_FACTOR;
  const frac = abs % STEP_FACTOR;
  let text = whole.toString();
  if (frac !== 0n) text += '.' + frac.toString().padStart(STEP_SCALE, '0').replace(/0+$/, '');
  return negative ? '-' + text : text;
}
