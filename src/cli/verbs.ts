/**
 * The verbs of `reel` by the module that defines them, in the order `reel --help` lists them.
 * The composition root loads only the module of the verb it runs (`reel ls` needs none of the
 * archive engine, the daemons or the media commands); help and unknown verbs load them all.
 */
import type { Command } from "commander";
import type { CliContext } from "./context.js";

type Register = (program: Command, ctx: CliContext) => void;

export interface VerbGroup {
  verbs: readonly string[];
  load: () => Promise<Register>;
}

export const VERB_GROUPS: readonly VerbGroup[] = [
  { verbs: ["archive"], load: async () => { const m = await import("./commands/archive.js"); return (program, ctx) => void program.addCommand(m.archiveCommand(ctx)); } },
  { verbs: ["tour"], load: async () => { const m = await import("./commands/tour.js"); return (program, ctx) => void program.addCommand(m.tourCommand(ctx)); } },
  { verbs: ["server", "node", "client"], load: async () => (await import("./commands/daemons.js")).daemonCommands },
  { verbs: ["token"], load: async () => { const m = await import("./commands/token.js"); return (program, ctx) => void program.addCommand(m.tokenCommand(ctx)); } },
  { verbs: ["backup"], load: async () => { const m = await import("./commands/backup.js"); return (program, ctx) => void program.addCommand(m.backupCommand(ctx)); } },
  { verbs: ["restore"], load: async () => { const m = await import("./commands/restore.js"); return (program, ctx) => void program.addCommand(m.restoreCommand(ctx)); } },
  { verbs: ["savesets", "ls", "jobs", "clients", "nodes"], load: async () => (await import("./commands/browse.js")).browseCommands },
  { verbs: ["pools", "pool", "drives"], load: async () => (await import("./commands/pools.js")).poolCommands },
  { verbs: ["copy", "migrate", "compact"], load: async () => (await import("./commands/copy.js")).copyCommands },
  { verbs: ["tasks", "task", "copies"], load: async () => (await import("./commands/tasks.js")).taskCommands },
  { verbs: ["drive"], load: async () => { const m = await import("./commands/drive.js"); return (program, ctx) => void program.addCommand(m.driveCommand(ctx)); } },
  {
    verbs: ["media"],
    load: async () => {
      const [m, scan] = await Promise.all([import("./commands/media.js"), import("./commands/media-scan.js")]);
      return (program, ctx) => {
        const media = m.mediaCommand(ctx);
        scan.mediaScanCommands(media, ctx);
        program.addCommand(media);
      };
    },
  },
  {
    verbs: ["calendar", "apply", "start"],
    load: async () => {
      const m = await import("./commands/calendar.js");
      return (program, ctx) => {
        program.addCommand(m.calendarCommand(ctx));
        program.addCommand(m.applyCommand(ctx));
        program.addCommand(m.startCommand(ctx));
      };
    },
  },
];

/** Adds the verbs to `program`: only the group of `verb` when it is one of them, else all (help, mistakes). */
export async function addVerbs(program: Command, ctx: CliContext, verb: string | undefined): Promise<void> {
  const own = VERB_GROUPS.filter((group) => verb !== undefined && group.verbs.includes(verb));
  const registers = await Promise.all((own.length > 0 ? own : VERB_GROUPS).map((group) => group.load()));
  for (const register of registers) register(program, ctx);
}
