/**
 * Dapr's state query language (`components-contrib/state/query`) as the block
 * hands it to drivers, already parsed and validated: comparison filters
 * `EQ NEQ GT GTE LT LTE` (`{ field: scalar }`), `IN` (`{ field: [..] }`) and
 * `AND` / `OR` over at least two filters. Fields are dotted paths into the JSON
 * value. Drivers translate the tree (SQL) or evaluate it (the driver kit's
 * `evaluateStateQuery`).
 */
export type ComparisonOp = 'EQ' | 'NEQ' | 'GT' | 'GTE' | 'LT' | 'LTE';
export type Scalar = string | number | boolean | null;

export type QueryFilter =
  | { op: ComparisonOp; field: string; value: Scalar }
  | { op: 'IN'; field: string; values: Scalar[] }
  | { op: 'AND' | 'OR'; filters: QueryFilter[] };

export interface QuerySort {
  key: string;
  order: 'ASC' | 'DESC';
}

export interface ParsedStateQuery {
  filter?: QueryFilter;
  sort: QuerySort[];
  limit?: number;
  /** Offset decoded from the paging token. */
  offset: number;
}
