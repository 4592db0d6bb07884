// Offline check of the Terraform under terraform/ against provider schemas, without `terraform init`
// (the providers cannot be downloaded here). The schemas come from the generated CDKTF bindings:
// @cdktf/provider-google 16.12.1 = hashicorp/google 6.50.0, @cdktf/provider-random 12.0.1 =
// hashicorp/random 3.7.2, @cdktf/provider-archive 11.0.1 = hashicorp/archive 2.7.1. The .tf files are
// parsed with @cdktf/hcl2json (HashiCorp's HCL parser compiled to WebAssembly).
//
// Checks, per module directory:
//   - every resource and data source type exists;
//   - every argument and nested block (also inside `dynamic` blocks) exists, and required ones are set;
//   - every reference <type>.<name>.<attr>... names a resource declared in the module and attribute
//     names the type has (arguments, nested blocks, computed attributes);
//   - var.X and local.X are declared; module calls pass only declared variables and every required
//     one; module.M.O names an output of M.
// Not checked: value types and allowed values, expressions' semantics, API-side rules. That needs
// `terraform validate` / `plan` with the real provider.
//
// Usage: npm ci && npm run check   (exit status 1 when a problem is found)

import { parse } from "@cdktf/hcl2json";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const terraformRoot = path.resolve(here, "..");
const PROVIDERS = {
  google: "@cdktf/provider-google",
  random: "@cdktf/provider-random",
  archive: "@cdktf/provider-archive",
};
const META_ARGUMENTS = new Set([
  "count",
  "for_each",
  "depends_on",
  "provider",
  "lifecycle",
  "provisioner",
  "connection",
]);
const MODULE_ARGUMENTS = new Set(["source", "version", "providers", "depends_on", "count", "for_each"]);

const problems = [];
const problem = (where, text) => problems.push(`${where}: ${text}`);

// --- provider schemas from the bindings ---

const schemaCache = new Map();

/** The schema of a resource or data source type, or null when the bindings have none. */
function schemaOf(kind, type) {
  const key = `${kind} ${type}`;
  if (schemaCache.has(key)) return schemaCache.get(key);
  const provider = type.split("_")[0];
  const pkg = PROVIDERS[provider];
  let schema = null;
  if (pkg) {
    const rest = type.slice(provider.length + 1).replaceAll("_", "-");
    const dir = path.join(
      here,
      "node_modules",
      pkg,
      "lib",
      kind === "data" ? `data-${provider}-${rest}` : rest,
    );
    const dts = path.join(dir, "index.d.ts");
    if (fs.existsSync(dts)) schema = readSchema(type, fs.readFileSync(dts, "utf8"), fs.readFileSync(path.join(dir, "index.js"), "utf8"));
  }
  schemaCache.set(key, schema);
  return schema;
}

function readSchema(type, dts, js) {
  const cls = dts.match(/export declare class (\w+) extends cdktf\.Terraform(?:Resource|DataSource)/);
  const declared = dts.match(/static readonly tfResourceType = "([^"]+)"/);
  if (!cls || !declared || declared[1] !== type) return null;

  const interfaces = new Map();
  for (const m of dts.matchAll(/export interface (\w+)(?: extends [^{]+)? \{([\s\S]*?)\n\}/g)) {
    interfaces.set(m[1], m[2]);
  }
  const parsed = new Map();
  for (const [name, body] of interfaces) {
    const members = new Map();
    const docs = [...body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*readonly (\w+)(\?)?:\s*/g)];
    docs.forEach((m, i) => {
      const typeText = body.slice(m.index + m[0].length, i + 1 < docs.length ? docs[i + 1].index : body.length);
      const anchor = m[1].match(/#([a-z0-9_]+) \w+#/);
      const snake = anchor ? anchor[1] : m[2].replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      const nested = [...typeText.matchAll(/\b([A-Z]\w+)\b/g)].map((t) => t[1]).find((t) => interfaces.has(t));
      members.set(snake, { optional: m[3] === "?", block: nested ?? null });
    });
    parsed.set(name, members);
  }

  const readable = new Set();
  for (const members of parsed.values()) for (const k of members.keys()) readable.add(k);
  for (const m of js.matchAll(/(?:get\w*Attribute|interpolationForAttribute)\('([a-z0-9_]+)'\)/g)) readable.add(m[1]);
  for (const m of js.matchAll(/new \w+\(this, "([a-z0-9_]+)"/g)) readable.add(m[1]);

  return { root: `${cls[1]}Config`, interfaces: parsed, readable };
}

function checkBody(where, body, schema, ifaceName) {
  const members = schema.interfaces.get(ifaceName);
  if (!members) {
    problem(where, `no schema for ${ifaceName}`);
    return;
  }
  const present = new Set();
  for (const [key, value] of Object.entries(body)) {
    if (ifaceName === schema.root && META_ARGUMENTS.has(key)) continue;
    if (key === "dynamic") {
      for (const [blockName, items] of Object.entries(value)) {
        const member = members.get(blockName);
        present.add(blockName);
        if (!member?.block) {
          problem(where, `dynamic "${blockName}": no such nested block`);
          continue;
        }
        for (const item of items) {
          for (const content of item.content ?? []) checkBody(`${where}.${blockName}`, content, schema, member.block);
        }
      }
      continue;
    }
    present.add(key);
    const member = members.get(key);
    if (!member) {
      problem(where, `unknown argument or block "${key}"`);
    } else if (member.block && Array.isArray(value)) {
      for (const item of value) {
        if (item && typeof item === "object" && !Array.isArray(item)) checkBody(`${where}.${key}`, item, schema, member.block);
      }
    }
  }
  for (const [name, member] of members) {
    if (!member.optional && !present.has(name)) problem(where, `required "${name}" is not set`);
  }
}

// --- the Terraform under terraform/ ---

function tfFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tfFiles(full));
    else if (entry.name.endsWith(".tf")) out.push(full);
  }
  return out;
}

/** Every string inside a parsed value (expressions come out as "${...}" strings). */
function strings(value, out = []) {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => strings(v, out));
  return out;
}

const modules = new Map(); // dir -> { resources, data, variables, locals, outputs, calls, files }
for (const file of tfFiles(terraformRoot)) {
  const dir = path.dirname(file);
  if (!modules.has(dir)) {
    modules.set(dir, { resources: new Map(), data: new Map(), variables: new Map(), locals: new Set(), outputs: new Set(), calls: new Map(), parsed: [] });
  }
  const m = modules.get(dir);
  const where = path.relative(terraformRoot, file);
  const json = await parse(file, fs.readFileSync(file, "utf8"));
  m.parsed.push({ where, json });
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const [name, bodies] of Object.entries(byName)) m.resources.set(`${type}.${name}`, { type, where, body: bodies[0] });
  }
  for (const [type, byName] of Object.entries(json.data ?? {})) {
    for (const [name, bodies] of Object.entries(byName)) m.data.set(`${type}.${name}`, { type, where, body: bodies[0] });
  }
  for (const [name, bodies] of Object.entries(json.variable ?? {})) m.variables.set(name, { required: !("default" in bodies[0]) });
  for (const block of json.locals ?? []) for (const name of Object.keys(block)) m.locals.add(name);
  for (const name of Object.keys(json.output ?? {})) m.outputs.add(name);
  for (const [name, bodies] of Object.entries(json.module ?? {})) m.calls.set(name, { where, body: bodies[0] });
}

let checked = { resources: 0, data: 0, references: 0 };
for (const [dir, m] of modules) {
  for (const [kind, table] of [["resource", m.resources], ["data", m.data]]) {
    for (const [address, { type, where, body }] of table) {
      const schema = schemaOf(kind, type);
      const label = `${where}: ${kind === "data" ? "data." : ""}${address}`;
      if (!schema) {
        problem(label, `unknown ${kind === "data" ? "data source" : "resource"} type ${type}`);
        continue;
      }
      checked[kind === "data" ? "data" : "resources"]++;
      checkBody(label, body, schema, schema.root);
    }
  }

  for (const [name, { where, body }] of m.calls) {
    const target = path.resolve(dir, body.source);
    const callee = modules.get(target);
    if (!callee) {
      problem(`${where}: module.${name}`, `source ${body.source} has no .tf files`);
      continue;
    }
    for (const key of Object.keys(body)) {
      if (!MODULE_ARGUMENTS.has(key) && !callee.variables.has(key)) problem(`${where}: module.${name}`, `${body.source} has no variable "${key}"`);
    }
    for (const [variable, { required }] of callee.variables) {
      if (required && !(variable in body)) problem(`${where}: module.${name}`, `required variable "${variable}" of ${body.source} is not set`);
    }
  }

  for (const { where, json } of m.parsed) {
    for (const text of strings(json)) {
      if (!text.includes("${") && !text.includes("%{")) continue;
      for (const r of text.matchAll(/(?<![\w.])(data\.)?((?:google|random|archive)_\w+)\.(\w+)((?:\[[^\]]*\]|\.\w+)*)/g)) {
        checked.references++;
        const kind = r[1] ? "data" : "resource";
        const address = `${r[2]}.${r[3]}`;
        if (!(kind === "data" ? m.data : m.resources).has(address)) {
          problem(where, `reference to undeclared ${r[1] ?? ""}${address}`);
          continue;
        }
        const schema = schemaOf(kind, r[2]);
        for (const attr of [...r[4].replace(/\[[^\]]*\]/g, "").matchAll(/\.(\w+)/g)].map((a) => a[1])) {
          if (schema && !schema.readable.has(attr)) problem(where, `${r[1] ?? ""}${address} has no attribute "${attr}"`);
        }
      }
      for (const r of text.matchAll(/(?<![\w.])var\.(\w+)/g)) {
        if (!m.variables.has(r[1])) problem(where, `undeclared variable var.${r[1]}`);
      }
      for (const r of text.matchAll(/(?<![\w.])local\.(\w+)/g)) {
        if (!m.locals.has(r[1])) problem(where, `undeclared local.${r[1]}`);
      }
      for (const r of text.matchAll(/(?<![\w.])module\.(\w+)\.(\w+)/g)) {
        const call = m.calls.get(r[1]);
        const callee = call && modules.get(path.resolve(dir, call.body.source));
        if (!call) problem(where, `undeclared module.${r[1]}`);
        else if (callee && !callee.outputs.has(r[2])) problem(where, `module.${r[1]} (${call.body.source}) has no output "${r[2]}"`);
      }
    }
  }
}

const dirs = [...modules.keys()].map((d) => path.relative(terraformRoot, d)).join(", ");
console.log(`checked ${checked.resources} resources, ${checked.data} data sources and ${checked.references} references in ${dirs}`);
const versions = Object.values(PROVIDERS).map((pkg) => {
  const meta = JSON.parse(fs.readFileSync(path.join(here, "node_modules", pkg, "package.json"), "utf8"));
  return `${meta.cdktf.provider.name.replace("registry.terraform.io/", "")} ${meta.cdktf.provider.version} (${pkg} ${meta.version})`;
});
console.log(`schemas: ${versions.join(", ")}`);
if (problems.length > 0) {
  console.log(`\n${problems.length} problem(s):`);
  for (const p of problems) console.log(`  ${p}`);
  process.exit(1);
}
console.log("no problems found");
