/**
 * The declarative description of one Kaggle source file.
 *
 * One spec per file is the single place where a column's facts live: the CSV reader checks the
 * header against `source`, the validator applies `type`/`nullable`/`values`/`range`, the raw DDL is
 * generated from `name`/`type`, the generator writes the same header, and docs/data-dictionary.md is
 * rendered from `description` and the rest. Nothing here is repeated anywhere else.
 */

export type ColumnType =
  /** 32-character lowercase hex identifier (Olist's ids). */
  | 'id'
  /** Free text (already trimmed of nothing: kept as the file gives it). */
  | 'text'
  /** Whole number. */
  | 'integer'
  /** Money: decimal with at most two fractional digits, stored as numeric(12,2). */
  | 'money'
  /** Floating point (coordinates). */
  | 'double'
  /** `YYYY-MM-DD HH:MM:SS`, local time without zone. */
  | 'timestamp'
  /** Brazilian CEP prefix: exactly five digits, kept as text to keep leading zeros. */
  | 'zip_prefix'
  /** Brazilian federative unit code (two upper-case letters, one of the 27). */
  | 'state';

export interface ColumnSpec {
  /** Our column name (snake_case, spelling fixed). */
  readonly name: string;
  /** The header in the Kaggle file when it differs from `name` (e.g. the misspelled `product_name_lenght`). */
  readonly source?: string;
  readonly type: ColumnType;
  /** Missing value (empty field) allowed. Defaults to false. */
  readonly nullable?: boolean;
  /** Accepted values (enumeration). */
  readonly values?: readonly string[];
  /**
   * The column may be absent from a file's header (then every row has it empty). The Kaggle files
   * lack it; the feed sends it when the source has something to say (a version's effective date).
   * Optional columns come last in the spec, so the generator's rows keep the Kaggle order.
   */
  readonly optional?: boolean;
  /** Inclusive numeric range for integer/money/double. */
  readonly range?: { readonly min?: number; readonly max?: number };
  readonly description: string;
}

export interface ForeignKeySpec {
  readonly columns: readonly string[];
  /** Name of the referenced source spec. */
  readonly references: string;
  readonly referencedColumns: readonly string[];
  /** Whether the real data honours it fully (documentation and quality severity). */
  readonly enforcedInSource: boolean;
}

/**
 * How the daily change feed (src/feed, docs/incremental.md) delivers a file and how a batch of it
 * is merged into the raw layer:
 * - `reference`: sent whole in the reference batch before the first day; a batch carrying it
 *   replaces the table (a snapshot, duplicates and all, as the full load has it).
 * - `changes`: rows are sent when they appear and again whenever they change, and are upserted by
 *   `primaryKey`. `progress` names the columns that only ever fill in over a row's life (an order's
 *   milestones): a version with fewer of them filled is older and never overwrites a newer one.
 *   A row whose parent (`foreignKeys` with `enforcedInSource`) is in neither the warehouse nor the
 *   batch is parked until the parent arrives.
 */
export type FeedSpec = { readonly kind: 'reference' } | { readonly kind: 'changes'; readonly progress?: readonly string[]; readonly versions?: VersionsSpec };

/**
 * A source whose rows change over time and whose history the warehouse keeps (type 2 dimensions,
 * docs/data-model.md#history). Every version received is kept in `raw.<name>_versions`, one row per
 * (primary key, effective time): the full load puts the file's rows there (no effective time: valid
 * since the beginning), the feed adds each version it receives. `raw.<name>` stays the current
 * state: the version with the latest effective time (a late correction, effective before the
 * current version, goes into the history only).
 */
export interface VersionsSpec {
  /** The (optional, nullable) timestamp column saying from when a version holds; empty = since the beginning. */
  readonly effectiveColumn: string;
}

/** The raw table holding every received version of a versioned source. */
export const versionsTableName = (spec: { name: string }): string => `${spec.name}_versions`;
export const versionsOf = (spec: SourceSpec): VersionsSpec | undefined => (spec.feed.kind === 'changes' ? spec.feed.versions : undefined);

export interface SourceSpec {
  /** Short name, also the raw table name (`raw.<name>`). */
  readonly name: string;
  /** File name as distributed by Kaggle. */
  readonly fileName: string;
  readonly description: string;
  readonly columns: readonly ColumnSpec[];
  /** Natural key of the file as the source intends it (duplicates are handled by staging). */
  readonly primaryKey: readonly string[];
  /** Whether the real file honours `primaryKey` (false: duplicates exist and staging resolves them). */
  readonly primaryKeyUniqueInSource: boolean;
  readonly foreignKeys?: readonly ForeignKeySpec[];
  /** How the change feed delivers and merges this file. */
  readonly feed: FeedSpec;
  /** Cleaning rules applied downstream, in plain words: rendered into the data dictionary. */
  readonly cleaningRules?: readonly string[];
  /**
   * Extra quality tests on the raw table, in the grammar of model `-- @test:` lines (docs/quality.md),
   * e.g. `range(geolocation_lat between -33.75 and 5.27) severity=warn`, `volume(band=20%)`. Column
   * rules, the primary key and the foreign keys above are checked without being repeated here.
   */
  readonly checks?: readonly string[];
}

/** The header text a column has in the source file. */
export function sourceHeader(column: ColumnSpec): string {
  return column.source ?? column.name;
}

/** The 27 federative units of Brazil. */
export const BRAZIL_STATES = [
  'AC', 'AL', 'AM', 'AP', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MG', 'MS', 'MT', 'PA',
  'PB', 'PE', 'PI', 'PR', 'RJ', 'RN', 'RO', 'RR', 'RS', 'SC', 'SE', 'SP', 'TO',
] as const;
