import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';

export type ValidationResult = { ok: true; value: unknown } | { ok: false; reason: string };
export type PayloadValidator = (data: unknown) => ValidationResult;

const NOT_DTO = new Set<unknown>([Object, String, Number, Boolean, Array, Promise, Buffer, Uint8Array, Function, Date]);

/**
 * A validator for the handler's first parameter type when it is a class with
 * class-validator decorators; undefined otherwise (no cost per message).
 */
export function payloadValidatorFor(type: unknown): PayloadValidator | undefined {
  if (typeof type !== 'function' || NOT_DTO.has(type)) return undefined;
  const rules = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  if (rules.length === 0) return undefined;
  const cls = type as new () => object;
  return (data) => {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      return { ok: false, reason: `payload is not an object of type ${cls.name}` };
    }
    const value = plainToInstance(cls, data);
    const errors = validateSync(value, { forbidUnknownValues: false });
    if (errors.length) return { ok: false, reason: describeErrors(errors) };
    return { ok: true, value };
  };
}

function describeErrors(errors: ValidationError[], prefix = ''): string {
  const parts: string[] = [];
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) parts.push(...Object.values(e.constraints).map((c) => `${path}: ${c}`));
    if (e.children?.length) parts.push(describeErrors(e.children, path));
  }
  return parts.join('; ');
}
