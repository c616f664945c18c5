// Types of safetensors-f16.mjs (plain JS so the reproduce script needs no build).
export interface SafetensorsHeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}
export function toHalfBits(x: number): number;
export function readHeader(buf: Buffer): { header: Record<string, SafetensorsHeaderEntry> & { __metadata__?: Record<string, string> }; dataStart: number };
export function convertToF16(buf: Buffer, where?: string): Buffer;
