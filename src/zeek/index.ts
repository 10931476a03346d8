/**
 * The Zeek log codec: schemas, the line decoder (TSV and JSON), the file reader, the
 * DceRpcRecord mapping and the TSV/JSON writers. Other stages import from here only.
 */
export { DCE_RPC_SCHEMA, fieldIndex, typeShape } from './schema.js';
export type { TypeShape, ValueKind, ZeekField, ZeekScalarType, ZeekSchema, ZeekType, ZeekValue } from './schema.js';
export { ZeekLineDecoder } from './decoder.js';
export { DEFAULT_TSV_FORMAT } from './decoded.js';
export type {
  DecodeResult,
  ParseErrorCode,
  TsvFormat,
  TsvLayout,
  ZeekHeaderEvent,
  ZeekLineDecoderOptions,
  ZeekParseError,
  ZeekRecord,
} from './decoded.js';
export type { DceRpcRecord, SourceLocation } from './dce-rpc-record.js';
export { DCE_RPC_COLUMNS, toDceRpcRecord } from './dce-rpc.js';
export { DceRpcLineDecoder } from './dce-rpc-decoder.js';
export type { DceRpcDecodeResult } from './dce-rpc-decoder.js';
export { primeDecoderFromFile, readZeekLog, scanDceRpcLog, scanZeekLog } from './reader.js';
export type { DceRpcEventHandler, DceRpcReadEvent, PrimedDecoder, ReadEvent, ReadRange, ReadStats, ReadZeekLogOptions, ScanHooks } from './reader.js';
export { inferJsonSchema } from './infer.js';
export {
  formatIsoTime,
  formatJsonDouble,
  formatJsonRecord,
  formatJsonString,
  formatTsvClose,
  formatTsvHeader,
  formatTsvRecord,
  formatZeekDouble,
  formatZeekLocalTime,
  formatZeekTime,
} from './writer.js';
export type { JsonWriteOptions } from './writer.js';
export { decodeZeekBytes, encodeZeekString } from './bytes.js';
export { gzipHeaderLength, hasGzipMagic, inflateGzip } from './gzip.js';
export type { GzipProblem, GzipProblemKind, InflateGzipOptions } from './gzip.js';
