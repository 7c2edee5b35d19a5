import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';

/** Normalises the SKU of an event's payload (`metadata.data` is 'data' for the payload). */
@Injectable()
export class UpperCaseSkuPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.data !== 'data' || !value || typeof value !== 'object') return value;
    const sku = (value as { sku?: unknown }).sku;
    return typeof sku === 'string' ? { ...value, sku: sku.toUpperCase() } : value;
  }
}
