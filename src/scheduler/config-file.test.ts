// parseConfigText(): YAML and JSON text → config; errors name file, line and field.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfigText } from "./config-file.js";

const yaml = `timezone: Europe/Berlin
schedules:
  - { name: NEWDAY, unit: day, at: "08:00" }
  - { name: DAILY,  unit: day, at: "20:00" }
events:
  - { name: newday, type: newday, schedule: NEWDAY }
  - name: home
    type: backup
    task: home
    schedule: DAILY
    priority: PRIORITY
`;

test("parseConfigText() reads YAML", () => {
  const config = parseConfigText(yaml.replace("PRIORITY", "3"), "reel.yaml");
  assert.equal(config.events[1]?.priority, 3);
  assert.equal(config.schedules[1]?.at, "20:00");
});

test("parseConfigText() names file, line and field of a bad value", () => {
  assert.throws(() => parseConfigText(yaml.replace("PRIORITY", "100"), "reel.yaml"), {
    code: "SCHEDULER_BAD_CONFIG",
    message: "reel.yaml:11: events[1].priority: must be an integer 0–99",
  });
});

test("parseConfigText() names the line of the mapping that lacks a required field", () => {
  assert.throws(() => parseConfigText(yaml.replace("    task: home\n", "").replace("PRIORITY", "1"), "reel.yaml"), {
    code: "SCHEDULER_BAD_CONFIG",
    message: "reel.yaml:7: events[1].task: is required for backup events",
  });
});

test("parseConfigText() reads JSON and reports its lines too", () => {
  const json = JSON.stringify({ timezone: "UTC", schedules: [{ name: "N", unit: "day", at: "8:00" }], events: [{ name: "n", type: "newday", schedule: "N" }] }, null, 2);
  assert.throws(() => parseConfigText(json, "reel.json"), { code: "SCHEDULER_BAD_CONFIG", message: 'reel.json:7: schedules[0].at: must be a time of day "HH:MM" (00:00–23:59): got "8:00"' });
});

test("parseConfigText() reports a syntax error with its line", () => {
  assert.throws(() => parseConfigText("timezone: UTC\nschedules: [\n  {name: x\n", "bad.yaml"), (error: unknown) => {
    assert.equal((error as { code?: string }).code, "SCHEDULER_BAD_CONFIG_SYNTAX");
    assert.match((error as Error).message, /^bad\.yaml:\d+: cannot parse the config: /);
    return true;
  });
});
