import type { Codecs } from "../format/index.js";
import { DirDrive } from "./dir-drive.js";
import type { Drive } from "./drive.js";
import { mediaError } from "./errors.js";
import { TapeDrive, tapeOptions } from "./tape-drive.js";
import { VtlDrive, vtlOptions } from "./vtl-drive.js";

/**
 * A drive as the catalog and the wire name it: kind `dir`, `vtl` or `tape`, a path (dir: the
 * volumes' directory; vtl: the library's directory; tape: where the tape index is kept), and
 * kind-specific options (docs/drives.md).
 */
export interface DriveSpec {
  name: string;
  kind: string;
  path: string;
  options?: Record<string, unknown>;
}

/** Makes the Drive of a spec (a node does this for every drive the server names). Throws MEDIA_BAD_DRIVE for an unknown kind or bad options. */
export function makeDrive(spec: DriveSpec, codecs: Codecs): Drive {
  switch (spec.kind) {
    case "dir":
      return new DirDrive({ name: spec.name, path: spec.path, codecs });
    case "vtl":
      return new VtlDrive({ name: spec.name, path: spec.path, codecs, ...vtlOptions(spec.name, spec.options) });
    case "tape":
      return new TapeDrive({ name: spec.name, path: spec.path, codecs, ...tapeOptions(spec.name, spec.options) });
    default:
      throw mediaError("MEDIA_BAD_DRIVE", `Drive "${spec.name}" is of kind "${spec.kind}", which this node cannot drive`, { drive: spec.name, kind: spec.kind });
  }
}
