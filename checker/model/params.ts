/**
 * Model parameters: declared with bounds and defaults, set from the command line as
 * `--set key=value`, validated once before anything is explored.
 */

export type ParamSpec =
  | {
      readonly kind: 'int';
      readonly min: number;
      readonly max: number;
      readonly default: number;
      readonly doc: string;
    }
  | { readonly kind: 'bool'; readonly default: boolean; readonly doc: string }
  | {
      readonly kind: 'enum';
      readonly values: readonly string[];
      readonly default: string;
      readonly doc: string;
    };

export type ParamValue = number | boolean | string;
export type Params = Readonly<Record<string, ParamValue>>;

export function int(min: number, max: number, dflt: number, doc = ''): ParamSpec {
  return { kind: 'int', min, max, default: dflt, doc };
}

export function bool(dflt: boolean, doc = ''): ParamSpec {
  return { kind: 'bool', default: dflt, doc };
}

export function oneOf(values: readonly string[], dflt: string, doc = ''): ParamSpec {
  return { kind: 'enum', values, default: dflt, doc };
}

export function describeParam(spec: ParamSpec): string {
  switch (spec.kind) {
    case 'int':
      return `${spec.min}..${spec.max}`;
    case 'bool':
      return 'true|false';
    default:
      return spec.values.join('|');
  }
}

export class ParamError extends Error {}

/** Parses and checks raw `key=value` settings against `specs`; throws ParamError with one line. */
export function resolveParams(
  specs: Readonly<Record<string, ParamSpec>>,
  raw: Readonly<Record<string, string | number | boolean>>,
  modelName: string,
): Params {
  const out: Record<string, ParamValue> = {};
  for (const [k, spec] of Object.entries(specs)) out[k] = spec.default;
  for (const [k, v] of Object.entries(raw)) {
    const spec = specs[k];
    if (!spec) {
      const known = Object.keys(specs);
      throw new ParamError(
        `unknown parameter '${k}' for model ${modelName}; it takes: ${known.length ? known.join(', ') : 'no parameters'}`,
      );
    }
    const text = String(v).trim();
    if (spec.kind === 'int') {
      const n = Number(text);
      if (!/^-?\d+$/.test(text) || n < spec.min || n > spec.max) {
        throw new ParamError(`bad value '${text}' for ${k}: expected an integer in ${spec.min}..${spec.max}`);
      }
      out[k] = n;
    } else if (spec.kind === 'bool') {
      if (text !== 'true' && text !== 'false')
        throw new ParamError(`bad value '${text}' for ${k}: expected true or false`);
      out[k] = text === 'true';
    } else {
      if (!spec.values.includes(text)) {
        throw new ParamError(`bad value '${text}' for ${k}: expected one of ${spec.values.join(', ')}`);
      }
      out[k] = text;
    }
  }
  return out;
}

/** Parses repeated `--set key=value` strings into a record; throws ParamError on a malformed one. */
export function parseSettings(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    for (const part of item.split(',')) {
      const m = /^\s*([A-Za-z_][\w-]*)\s*=\s*(\S+)\s*$/.exec(part);
      if (!m) throw new ParamError(`malformed setting '${part}': expected key=value, e.g. --set vcpus=3`);
      out[m[1]!] = m[2]!;
    }
  }
  return out;
}
