/**
 * Minimal typings for dcmjs 0.52 (the package ships none), covering what
 * pacsmap uses: reading/writing bare datasets (DicomMessage + buffer streams),
 * Part 10 files (DicomDict.write / DicomMessage.readFile, used by fixtures),
 * the dictionary and (de)naturalisation, and the loglevel logger.
 *
 * Import dcmjs through `src/protocol/dimse/dcmjs.ts`, which silences its
 * logger (dcmjs logs element values) before anything else can use it.
 *
 * Members whose names start with `_` are internal to dcmjs; they are typed
 * because the public entry points do not fit (see dataset.ts) and are pinned by
 * tests to the installed version.
 */
declare module 'dcmjs' {
  /** A transfer syntax UID, e.g. '1.2.840.10008.1.2' (Implicit VR Little Endian). */
  export type TransferSyntaxUid = string;

  /** PS3.18 F.2 DICOM JSON model element, as dcmjs holds it (denaturalised form). */
  export interface DicomJsonElement {
    vr: string;
    Value?: unknown[] | null | undefined;
    /** Set by the reader: the value before VR formatting. */
    _rawValue?: unknown;
    InlineBinary?: string;
    BulkDataURI?: string;
  }
  /** Keys are 8 upper-case hex digits ('00100010'). */
  export type DicomJsonDataset = Record<string, DicomJsonElement>;

  /**
   * Naturalised dataset: keys are dictionary keywords ('PatientName'); single
   * values are unwrapped, sequences are arrays of naturalised datasets.
   */
  export interface NaturalizedDataset {
    [keyword: string]: unknown;
    _vrMap?: Record<string, string>;
  }

  /** What ReadBufferStream calls as `decoder.decode(new DataView(...))`. */
  export interface TextDecoderLike {
    decode(input?: ArrayBuffer | ArrayBufferView): string;
  }

  export class BufferStream {
    offset: number;
    size: number;
    isLittleEndian: boolean;
    setEndian(isLittleEndian: boolean): void;
    /** A copy of bytes [start, end) (defaults: the whole written/readable size). */
    getBuffer(start?: number, end?: number): ArrayBuffer;
  }

  export interface ReadBufferStreamOptions {
    start?: number | null;
    stop?: number | null;
    noCopy?: boolean;
  }

  export class ReadBufferStream extends BufferStream {
    constructor(buffer: ArrayBuffer | null, littleEndian?: boolean | null, options?: ReadBufferStreamOptions);
    /** Defaults to `new TextDecoder('latin1')`; streams made for sequence items always get that default. */
    decoder: TextDecoderLike;
    setDecoder(decoder: TextDecoderLike): void;
    end(): boolean;
    reset(): this;
  }

  export class DeflatedReadBufferStream extends ReadBufferStream {
    /** Inflates (unbounded: pako.inflateRaw) from `stream.offset` to its end. */
    constructor(stream: ReadBufferStream, options?: { noCopy?: boolean });
  }

  export class WriteBufferStream extends BufferStream {
    constructor(defaultSize?: number, littleEndian?: boolean);
  }

  export interface Tag {
    /** '00100010' */
    toCleanString(): string;
    /** '(0010,0010)' */
    toString(): string;
    group(): number;
    element(): number;
    isPrivateCreator(): boolean;
  }

  export interface ValueRepresentationInstance {
    readonly type: string;
    readonly maxLength: number | null | undefined;
    /** DA/DT/TM: the longer limit that applies to range matching keys. */
    readonly rangeMatchingMaxLength?: number | undefined;
    readonly maxCharLength?: number | undefined;
    isBinary(): boolean;
    isLength32(): boolean;
  }

  export class ValueRepresentation {
    /** Unknown types map to UN (and 'xs' → US, 'ox' → OW), logging through the validation logger. */
    static createByTypeString(type: string): ValueRepresentationInstance;
  }

  export interface ReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    stopOnGreaterTag?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }

  export interface WriteOptions {
    allowInvalidVRLength?: boolean;
    fragmentMultiframe?: boolean;
  }

  export interface ReadTagResult {
    tag: Tag;
    vr: ValueRepresentationInstance;
    values: unknown[];
    rawValues: unknown;
  }

  export interface DictionaryEntry {
    /** '(0010,0010)' */
    tag: string;
    vr: string;
    vm: string;
    /** Keyword, e.g. 'PatientName'. */
    name: string;
    version: string;
  }

  export class DicomMessage {
    /** Reads a Part 10 file (128-byte preamble, 'DICM', meta group, dataset). */
    static readFile(buffer: ArrayBuffer, options?: ReadOptions): DicomDict;
    /** Writes `dataset` (denaturalised) to `stream` in `syntax`, tags sorted; returns bytes written. */
    static write(
      dataset: DicomJsonDataset,
      stream: WriteBufferStream,
      syntax: TransferSyntaxUid,
      writeOptions?: WriteOptions,
    ): number;
    /**
     * Internal. Reads elements to the end of `stream`. Handles (0008,0005) itself:
     * first value only, throws on unknown/multiple unless `ignoreErrors` (then
     * logs and returns a partial result for ANY error), and rewrites it to 'ISO_IR 192'.
     */
    static _read(stream: ReadBufferStream, syntax: TransferSyntaxUid, options?: ReadOptions): DicomJsonDataset;
    /** Internal. Reads one element at `stream.offset`; throws past the end of the stream. */
    static _readTag(stream: ReadBufferStream, syntax: TransferSyntaxUid, options?: ReadOptions): ReadTagResult;
    static lookupTag(tag: Tag): DictionaryEntry | undefined;
  }

  export class DicomDict {
    constructor(meta: DicomJsonDataset);
    meta: DicomJsonDataset;
    dict: DicomJsonDataset;
    upsertTag(tag: string, vr: string, values: unknown[]): void;
    /** Part 10: preamble, 'DICM', meta (Explicit VR LE), then `dict` in the meta's TransferSyntaxUID. */
    write(writeOptions?: WriteOptions): ArrayBuffer;
  }

  export class DicomMetaDictionary {
    /** Keyed by '(gggg,eeee)', upper-case hex. */
    static readonly dictionary: Readonly<Record<string, DictionaryEntry>>;
    /** Keyed by keyword. */
    static readonly nameMap: Readonly<Record<string, DictionaryEntry>>;
    static readonly sopClassUIDsByName: Readonly<Record<string, string>>;
    static readonly sopClassNamesByUID: Readonly<Record<string, string>>;
    static naturalizeDataset(dataset: DicomJsonDataset): NaturalizedDataset;
    /**
     * Unknown keywords are dropped (logged with their value); string values
     * longer than the VR's maximum are silently truncated (logged with their value).
     */
    static denaturalizeDataset(
      dataset: NaturalizedDataset,
      nameMap?: Readonly<Record<string, DictionaryEntry>>,
    ): DicomJsonDataset;
    /** A random '2.25.…' UID. */
    static uid(): string;
    static date(): string;
    static time(): string;
    static dateTime(): string;
    /** '00100010' → '(0010,0010)' */
    static punctuateTag(rawTag: string): string | undefined;
    /** '(0010,0010)' → '00100010' */
    static unpunctuateTag(tag: string): string;
  }

  export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  export type LogMethod = (...args: unknown[]) => void;
  export type LogMethodFactory = (
    methodName: string,
    level: number,
    loggerName: string | symbol | undefined,
  ) => LogMethod;

  /** loglevel 1.x logger. Methods are bound to console methods at setLevel() time. */
  export interface Logger {
    readonly name: string | symbol | undefined;
    readonly levels: { TRACE: 0; DEBUG: 1; INFO: 2; WARN: 3; ERROR: 4; SILENT: 5 };
    methodFactory: LogMethodFactory;
    getLevel(): number;
    setLevel(level: LogLevelName | Uppercase<LogLevelName> | number, persist?: boolean): void;
    setDefaultLevel(level: LogLevelName | number): void;
    resetLevel(): void;
    enableAll(persist?: boolean): void;
    disableAll(persist?: boolean): void;
    rebuild(): void;
    trace: LogMethod;
    debug: LogMethod;
    info: LogMethod;
    warn: LogMethod;
    error: LogMethod;
    log: LogMethod;
  }

  /** The root loglevel logger (dcmjs bundles its own copy; level 'warn' at load). */
  export interface RootLogger extends Logger {
    getLogger(name: string | symbol): Logger;
    /** Child loggers by name; dcmjs creates 'validation.dcmjs' and 'AsyncDicomReader' at load. */
    getLoggers(): Record<string, Logger>;
  }

  export const log: RootLogger;

  export const data: {
    readonly DicomMessage: typeof DicomMessage;
    readonly DicomDict: typeof DicomDict;
    readonly DicomMetaDictionary: typeof DicomMetaDictionary;
    readonly ReadBufferStream: typeof ReadBufferStream;
    readonly DeflatedReadBufferStream: typeof DeflatedReadBufferStream;
    readonly WriteBufferStream: typeof WriteBufferStream;
    readonly ValueRepresentation: typeof ValueRepresentation;
  };

  const dcmjs: {
    readonly data: typeof data;
    readonly log: RootLogger;
  };
  export default dcmjs;
}
