// Offline check of the Terraform under terraform/ against provider schemas, without `terraform init`
// (the providers cannot be downloaded here). The schemas come from the generated CDKTF bindings
// (see PROVIDERS and package.json for the provider versions they carry); the .tf files are parsed
// with @cdktf/hcl2json (HashiCorp's HCL parser compiled to WebAssembly), which gives a block as an
// array of objects and an object-valued argument as an object.
//
// Checks, per module directory:
//   - every resource and data source type exists in the schema of its provider (the `provider`
//     meta-argument picks it: `provider = google-beta` reads the google-beta bindings);
//   - every argument and nested block (also inside `dynamic` blocks) exists, and required ones are
//     set; a block is written as a block (`retry_config { … }`, not `retry_config = { … }`) and an
//     argument as an argument (`headers = { … }`, not `headers { … }`);
//   - literal values (never expressions) have the schema's type (a boolean is true/false, a number
//     a number, a map an object, a list a list) and, where the schema lists `Possible values`, one of
//     them;
//   - every reference <type>.<name>[<key>].<attr>[<index>].<attr>... names a resource declared in
//     the module (with an instance key exactly when it has count or for_each), and each step of the
//     path is an attribute of what it is read from: `service_config[0].uri` exists, `.uri` on the
//     function and `build_config[0].uri` do not (nested blocks' computed attributes come from the
//     bindings' *OutputReference classes); a list of blocks is indexed before its attributes;
//   - var.X and local.X are declared; module calls pass only declared variables and every required
//     one; module.M.O names an output of M;
//   - ephemeral blocks (ephemeral "random_password" ...) and references to them
//     (ephemeral.<type>.<name>.<attr>). The CDKTF bindings carry no ephemeral resource schemas, so
//     these come from EPHEMERAL below, written from the providers' documentation: arguments are
//     checked as those of the managed resource of the same type minus what the ephemeral one lacks,
//     attributes against the documented list. An ephemeral type missing there is reported.
// Not checked: expressions' values and types, API-side rules, provider blocks. That needs
// `terraform validate` / `plan` with the real provider.
//
// Usage: npm ci && npm run check [-- TERRAFORM_DIR]   (default: the directory above this one;
// exit status 1 when a problem is found)

import { parse } from "@cdktf/hcl2json";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const terraformRoot = path.resolve(process.argv[2] ?? path.resolve(here, ".."));

/** Provider local name (as in `provider = google-beta` or a type's prefix) => bindings package. */
const PROVIDERS = {
  google: "@cdktf/provider-google",
  "google-beta": "@cdktf/provider-google-beta",
  random: "@cdktf/provider-random",
  time: "@cdktf/provider-time",
};
const TYPE_PREFIXES = [...new Set(Object.keys(PROVIDERS).map((p) => p.split("-")[0]))];
/**
 * Ephemeral resource types: the bindings have none (CDKTF does not model them). Each is described
 * by the managed resource whose arguments it shares, the arguments it lacks, and what it returns,
 * as the provider documents them.
 */
const EPHEMERAL = {
  // hashicorp/random 3.7 (docs/ephemeral-resources/password.md): random_password's arguments
  // without keepers (an ephemeral value is made anew on every run; nothing keeps it); returns
  // result and bcrypt_hash.
  random_password: { resource: "random_password", without: ["keepers"], reads: ["result", "bcrypt_hash"] },
};
const META_ARGUMENTS = new Set(["count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"]);
const MODULE_ARGUMENTS = new Set(["source", "version", "providers", "depends_on", "count", "for_each"]);

const problems = [];
const problem = (where, text) => problems.push(`${where}: ${text}`);

// --- provider schemas from the bindings ---

const schemaCache = new Map();

/**
 * The schema of a resource or data source type as served by the provider with local name
 * `provider`, or null when the bindings have none.
 */
function schemaOf(kind, type, provider) {
  const key = `${provider} ${kind} ${type}`;
  if (schemaCache.has(key)) return schemaCache.get(key);
  const pkg = PROVIDERS[provider];
  let schema = null;
  if (pkg) {
    const prefix = type.split("_")[0];
    const rest = type.slice(prefix.length + 1).replaceAll("_", "-");
    // google: lib/cloudfunctions2-function; google-beta: lib/google-project-service-identity;
    // data sources of both: lib/data-google-project; time: lib/sleep.
    const candidates = kind === "data" ? [`data-${prefix}-${rest}`] : [rest, `${prefix}-${rest}`];
    for (const name of candidates) {
      const dir = path.join(here, "node_modules", pkg, "lib", name);
      const dts = path.join(dir, "index.d.ts");
      if (!fs.existsSync(dts)) continue;
      schema = readSchema(type, fs.readFileSync(dts, "utf8"), fs.readFileSync(path.join(dir, "index.js"), "utf8"));
      if (schema) break;
    }
  }
  schemaCache.set(key, schema);
  return schema;
}

const capitalize = (s) => s[0].toUpperCase() + s.slice(1);

/**
 * What the bindings say about one type:
 *   args: interface name => Map(snake name => { optional, isBlock, type, storage, nested, values })
 *     from the Config interfaces (d.ts: optional, documented `Possible values`) and the
 *     *ToHclTerraform functions (js: block or argument, simple/list/set/map/struct, element type);
 *   reads: class name => Map(snake name => { nested, list }) from the resource class and its
 *     *OutputReference classes: what an expression can read, nested blocks included.
 */
function readSchema(type, dts, js) {
  const cls = dts.match(/export declare class (\w+) extends cdktf\.Terraform(?:Resource|DataSource)/);
  const declared = dts.match(/static readonly tfResourceType = "([^"]+)"/);
  if (!cls || !declared || declared[1] !== type) return null;

  // d.ts: Config interfaces, their members' optionality and documentation.
  const docs = new Map();
  for (const m of dts.matchAll(/export interface (\w+)(?: extends [^{]+)? \{([\s\S]*?)\n\}/g)) {
    const members = new Map();
    for (const d of m[2].matchAll(/\/\*\*([\s\S]*?)\*\/\s*readonly (\w+)(\?)?:/g)) {
      const anchor = d[1].match(/#([a-z0-9_]+) \w+#/);
      const snake = anchor ? anchor[1] : d[2].replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      const possible = d[1].match(/Possible values: \[([^\]]*)\]/);
      const values = possible ? [...possible[1].matchAll(/"([^"]*)"/g)].map((v) => v[1]) : null;
      members.set(snake, { optional: d[3] === "?", values });
    }
    docs.set(m[1], members);
  }

  // js: the *ToHclTerraform functions (one per Config interface) and the root's synthesizeHclAttributes.
  const args = new Map();
  const hclBodies = [];
  for (const m of js.matchAll(/function (\w+)ToHclTerraform\(struct\) \{([\s\S]*?)\n\}/g)) {
    hclBodies.push([capitalize(m[1]), m[2]]);
  }
  const root = js.match(/synthesizeHclAttributes\(\) \{([\s\S]*?)\n    \}/);
  if (root) hclBodies.push([`${cls[1]}Config`, root[1]]);
  for (const [iface, body] of hclBodies) {
    const members = new Map();
    const documented = docs.get(iface) ?? new Map();
    for (const a of body.matchAll(/(\w+): \{\s*value: ([\s\S]*?),\s*isBlock: (true|false),\s*type: "(\w+)",\s*storageClassType: "(\w+)",\s*\}/g)) {
      const nestedFn = [...a[2].matchAll(/(?<!cdktf\.)\b([a-z]\w*)ToHclTerraform\b/g)].map((n) => n[1])[0];
      const doc = documented.get(a[1]);
      members.set(a[1], {
        optional: doc ? doc.optional : true,
        values: doc?.values ?? null,
        isBlock: a[3] === "true",
        type: a[4],
        storage: a[5],
        nested: nestedFn ? capitalize(nestedFn) : null,
      });
    }
    // An interface with nothing to set (such as auto {}) has an empty attrs object.
    args.set(iface, members);
  }

  // js: the classes an expression reads through.
  const classes = new Map();
  const segments = js.split(/\n(?=class \w+ extends )/);
  for (const segment of segments.slice(1)) {
    const head = segment.match(/^class (\w+) extends (?:cdktf\.)?(\w+)/);
    const end = segment.search(/\n(?:exports\.|function |_\w+ = JSII)/);
    classes.set(head[1], { base: head[2], body: end < 0 ? segment : segment.slice(0, end) });
  }
  const reads = new Map();
  for (const [name, { base, body }] of classes) {
    if (base === "ComplexList") continue;
    const attributes = new Map();
    for (const m of body.matchAll(/(?:get\w*Attribute|interpolationForAttribute)\('([a-z0-9_]+)'\)/g)) {
      attributes.set(m[1], { nested: null, list: false });
    }
    for (const m of body.matchAll(/new (?:cdktf\.)?(\w+)\(this, "([a-z0-9_]+)"(?:, (true|false))?\)/g)) {
      const target = classes.get(m[1]);
      if (target?.base === "ComplexList") {
        const element = target.body.match(/return new (\w+)\(/);
        attributes.set(m[2], { nested: element ? element[1] : null, list: true, set: m[3] === "true" });
      } else if (target) {
        attributes.set(m[2], { nested: m[1], list: false });
      } else {
        attributes.set(m[2], { nested: null, list: false }); // cdktf.StringMap and the like
      }
    }
    reads.set(name, attributes);
  }
  // A block configured as a list (build_config, settings) is read as one even when the bindings
  // model it as a single object (MaxItems 1): `build_config[0].uri`.
  for (const [iface, members] of args) {
    const readName = iface === `${cls[1]}Config` ? cls[1] : `${iface}OutputReference`;
    const attributes = reads.get(readName);
    if (!attributes) continue;
    for (const [name, member] of members) {
      const read = attributes.get(name);
      if (read?.nested && member.isBlock && (member.type === "list" || member.type === "set")) {
        read.list = true;
        read.set = member.type === "set";
      }
    }
  }

  return { root: `${cls[1]}Config`, rootClass: cls[1], args, reads };
}

// --- values ---

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isBlockList = (v) => Array.isArray(v) && v.length > 0 && v.every(isObject);
/** A string that is (or holds) an expression: only literals are checked. */
const isExpression = (v) => typeof v === "string" && (v.includes("${") || v.includes("%{"));
const show = (v) => JSON.stringify(v);

const PRIMITIVES = { string: "string", number: "number", boolean: "boolean" };

/** Why `value` (a literal) cannot be a `primitive`, or null when it can (Terraform's conversions). */
function primitiveProblem(primitive, value) {
  if (value === null || isExpression(value)) return null;
  if (Array.isArray(value) || isObject(value)) return `must be a ${primitive}, not ${Array.isArray(value) ? "a list" : "an object"}`;
  switch (primitive) {
    case "boolean":
      if (typeof value === "boolean" || value === "true" || value === "false") return null;
      return `must be a boolean (true or false), got ${show(value)}`;
    case "number":
      if (typeof value === "number" || (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))) return null;
      return `must be a number, got ${show(value)}`;
    default:
      return null; // numbers and booleans convert to strings
  }
}

/** Problems of a literal argument value against its schema entry. */
function checkValue(where, key, value, member) {
  if (value === null || isExpression(value)) return;
  const storage = member.storage;
  const enumProblem = (v) => {
    if (!member.values || v === null || isExpression(v) || Array.isArray(v) || isObject(v)) return;
    const text = String(v);
    // The provider accepts an empty string for an unset enum.
    if (text !== "" && !member.values.includes(text)) {
      problem(where, `"${key}" = ${show(v)} is not one of the provider's values: ${member.values.join(", ")}`);
    }
  };
  if (member.type === "simple" && PRIMITIVES[storage]) {
    const p = primitiveProblem(storage, value);
    if (p) problem(where, `"${key}" ${p}`);
    else enumProblem(value);
    return;
  }
  const element = storage.match(/^(string|number|boolean)(List|Map)$/);
  if (!element) return; // an object-typed argument: its value is not checked
  if (element[2] === "Map") {
    if (isBlockList(value)) {
      problem(where, `"${key}" is an argument (a map of ${element[1]}), not a block: write ${key} = { … }`);
    } else if (!isObject(value)) {
      problem(where, `"${key}" must be a map of ${element[1]}, got ${show(value)}`);
    } else {
      for (const [k, v] of Object.entries(value)) {
        const p = primitiveProblem(element[1], v);
        if (p) problem(where, `"${key}" entry "${k}" ${p}`);
      }
    }
    return;
  }
  if (isBlockList(value)) {
    problem(where, `"${key}" is an argument (a list of ${element[1]}), not a block: write ${key} = [ … ]`);
  } else if (!Array.isArray(value)) {
    problem(where, `"${key}" must be a list of ${element[1]}, got ${show(value)}`);
  } else {
    value.forEach((v, i) => {
      const p = primitiveProblem(element[1], v);
      if (p) problem(where, `"${key}"[${i}] ${p}`);
      else enumProblem(v);
    });
  }
}

function checkBody(where, body, schema, ifaceName) {
  const members = schema.args.get(ifaceName);
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
        if (!member?.isBlock) {
          problem(where, `dynamic "${blockName}": no such nested block`);
          continue;
        }
        for (const item of items) {
          for (const content of item.content ?? []) checkBody(`${where}.${blockName}`, content, schema, member.nested);
        }
      }
      continue;
    }
    present.add(key);
    const member = members.get(key);
    if (!member) {
      problem(where, `unknown argument or block "${key}"`);
    } else if (member.isBlock) {
      if (isObject(value)) {
        problem(where, `"${key}" is a block, not an argument: write ${key} { … } without "="`);
      } else if (!Array.isArray(value)) {
        problem(where, `"${key}" is a block and cannot be assigned with "=" (use a dynamic "${key}" block)`);
      } else {
        for (const item of value) {
          if (isObject(item)) checkBody(`${where}.${key}`, item, schema, member.nested);
          else problem(where, `"${key}" is a block and cannot be assigned with "=" (use a dynamic "${key}" block)`);
        }
      }
    } else if (isBlockList(value) && member.type !== "list" && member.type !== "set") {
      problem(where, `"${key}" is an argument (${describe(member)}), not a block: write ${key} = …`);
    } else {
      checkValue(where, key, value, member);
    }
  }
  for (const [name, member] of members) {
    if (!member.optional && !present.has(name)) problem(where, `required "${name}" is not set`);
  }
}

function describe(member) {
  if (member.type === "simple") return `a ${member.storage}`;
  const m = member.storage.match(/^(string|number|boolean)(List|Map)$/);
  return m ? `a ${m[2].toLowerCase()} of ${m[1]}` : member.type;
}

// --- the Terraform under the root ---

function tfFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tfFiles(full));
    else if (entry.name.endsWith(".tf")) out.push(full);
  }
  return out.sort();
}

/** Every string inside a parsed value (expressions come out as "${...}" strings). */
function strings(value, out = []) {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => strings(v, out));
  return out;
}

/**
 * The text of every ${...} and %{...} in a string value, nested ones (inside strings inside an
 * expression) included; string literals inside an expression are blanked to "".
 */
function expressions(template) {
  const out = [];
  scanTemplate(template, 0, false, out);
  return out;
}

/** Scans a template from i: to its closing quote when quoted, else to the end. Returns the index after it. */
function scanTemplate(text, i, quoted, out) {
  while (i < text.length) {
    const c = text[i];
    if (quoted && c === "\\") {
      i += 2;
    } else if (quoted && c === '"') {
      return i + 1;
    } else if ((c === "$" || c === "%") && text[i + 1] === c && text[i + 2] === "{") {
      i += 3; // $${ and %%{ are escapes
    } else if ((c === "$" || c === "%") && text[i + 1] === "{") {
      i = scanExpression(text, i + 2, out);
    } else {
      i++;
    }
  }
  return i;
}

/** Scans an expression from just after its "${" to just after its closing "}", recording its text. */
function scanExpression(text, i, out) {
  let depth = 0;
  let expr = "";
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i = scanTemplate(text, i + 1, true, out);
      expr += '""';
      continue;
    }
    if (c === "{") depth++;
    if (c === "}" && depth-- === 0) break;
    expr += c;
    i++;
  }
  out.push(expr);
  return i + 1;
}

/** The provider local name a resource or data source uses: its `provider` argument, or its type's prefix. */
function providerOf(type, body) {
  const meta = typeof body.provider === "string" ? body.provider.replace(/^\$\{|\}$/g, "") : null;
  return meta ? meta.split(".")[0] : type.split("_")[0];
}

const modules = new Map(); // dir -> { resources, data, variables, locals, outputs, calls, parsed }
for (const file of tfFiles(terraformRoot)) {
  const dir = path.dirname(file);
  if (!modules.has(dir)) {
    modules.set(dir, { resources: new Map(), data: new Map(), ephemeral: new Map(), variables: new Map(), locals: new Set(), outputs: new Set(), calls: new Map(), parsed: [] });
  }
  const m = modules.get(dir);
  const where = path.relative(terraformRoot, file);
  const json = await parse(file, fs.readFileSync(file, "utf8"));
  m.parsed.push({ where, json });
  for (const [kind, table] of [["resource", m.resources], ["data", m.data]]) {
    for (const [type, byName] of Object.entries(json[kind] ?? {})) {
      for (const [name, bodies] of Object.entries(byName)) {
        const body = bodies[0];
        table.set(`${type}.${name}`, { type, where, body, provider: providerOf(type, body), multi: "count" in body || "for_each" in body });
      }
    }
  }
  for (const [type, byName] of Object.entries(json.ephemeral ?? {})) {
    for (const [name, bodies] of Object.entries(byName)) {
      const body = bodies[0];
      m.ephemeral.set(`${type}.${name}`, { type, where, body, provider: providerOf(type, body), multi: "count" in body || "for_each" in body });
    }
  }
  for (const [name, bodies] of Object.entries(json.variable ?? {})) m.variables.set(name, { required: !("default" in bodies[0]) });
  for (const block of json.locals ?? []) for (const name of Object.keys(block)) m.locals.add(name);
  for (const name of Object.keys(json.output ?? {})) m.outputs.add(name);
  for (const [name, bodies] of Object.entries(json.module ?? {})) m.calls.set(name, { where, body: bodies[0] });
}

/** Checks the path after <type>.<name> of a reference; `text` is the reference for messages. */
function checkReference(where, text, decl, schema, rest) {
  const steps = [...rest.matchAll(/\[([^\]]*)\]|\.(\w+)/g)].map((s) => (s[2] !== undefined ? { attr: s[2] } : { index: s[1] }));
  let i = 0;
  if (steps[0]?.index !== undefined) {
    if (!decl.multi) {
      problem(where, `${text}: ${decl.address} has neither count nor for_each, so it takes no instance key`);
      return;
    }
    i = 1;
  } else if (decl.multi && steps.length > 0) {
    problem(where, `${text}: ${decl.address} has count or for_each; give an instance key before .${steps[0].attr}`);
    return;
  }
  let node = schema.reads.get(schema.rootClass);
  let path = decl.address + (i === 1 ? `[${steps[0].index}]` : "");
  for (; i < steps.length && node; i++) {
    const step = steps[i];
    if (step.index !== undefined) return; // indexing a leaf value (a list or map attribute)
    const read = node.get(step.attr);
    if (!read) {
      problem(where, `${text}: ${path} has no attribute "${step.attr}"`);
      return;
    }
    path += `.${step.attr}`;
    if (!read.nested) return; // a leaf: what follows indexes its value
    node = schema.reads.get(read.nested);
    if (read.list) {
      const next = steps[i + 1];
      if (next?.attr !== undefined) {
        problem(where, `${text}: ${path} is a list of blocks; index it (${path}[0].${next.attr})`);
        return;
      }
      if (next) {
        path += `[${next.index}]`;
        i++;
      }
    }
  }
}

/** Checks an ephemeral block against EPHEMERAL and the schema of the managed resource it names. */
function checkEphemeral(address, decl) {
  const { type, where, body, provider } = decl;
  const label = `${where}: ephemeral.${address}`;
  const spec = EPHEMERAL[type];
  if (!spec) {
    problem(label, `no schema for ephemeral resource type ${type}: the CDKTF bindings carry none; describe it in EPHEMERAL in terraform/check/check-schema.mjs from the provider's documentation`);
    return false;
  }
  const schema = PROVIDERS[provider] ? schemaOf("resource", spec.resource, provider) : null;
  if (!schema) {
    problem(label, `no schema for resource type ${spec.resource} (provider ${provider}), which EPHEMERAL says ephemeral ${type} takes its arguments from`);
    return false;
  }
  const kept = {};
  for (const [key, value] of Object.entries(body)) {
    if (spec.without.includes(key)) problem(label, `"${key}" is an argument of resource ${spec.resource}, not of ephemeral ${type}`);
    else kept[key] = value;
  }
  checkBody(label, kept, schema, schema.root);
  return true;
}

/** Checks a reference ephemeral.<type>.<name>... : declared, keyed as declared, and an attribute the type returns. */
function checkEphemeralReference(where, m, r) {
  const [text, type, name, rest] = r;
  const decl = m.ephemeral.get(`${type}.${name}`);
  if (!decl) {
    problem(where, `reference to undeclared ephemeral.${type}.${name}`);
    return;
  }
  const spec = EPHEMERAL[type];
  if (!spec) return; // reported at its declaration
  const steps = [...rest.matchAll(/\[([^\]]*)\]|\.(\w+)/g)];
  const keyed = steps[0]?.[1] !== undefined;
  if (keyed !== decl.multi && steps.length > 0) {
    problem(where, decl.multi ? `${text}: ephemeral.${type}.${name} has count or for_each; give an instance key` : `${text}: ephemeral.${type}.${name} has neither count nor for_each, so it takes no instance key`);
    return;
  }
  const attr = steps[keyed ? 1 : 0]?.[2];
  if (attr !== undefined && !spec.reads.includes(attr)) {
    problem(where, `${text}: ephemeral ${type} has no attribute "${attr}" (it returns ${spec.reads.join(", ")})`);
  }
}

const checked = { resources: 0, data: 0, ephemeral: 0, references: 0 };
const referencePattern = new RegExp(String.raw`(?<![\w.])(data\.)?((?:${TYPE_PREFIXES.join("|")})_\w+)\.(\w+)((?:\[[^\]]*\]|\.\w+)*)`, "g");
for (const [dir, m] of modules) {
  for (const [kind, table] of [["resource", m.resources], ["data", m.data]]) {
    for (const [address, decl] of table) {
      const { type, where, body, provider } = decl;
      decl.address = `${kind === "data" ? "data." : ""}${address}`;
      const label = `${where}: ${decl.address}`;
      if (!PROVIDERS[provider]) {
        problem(label, `no schema for provider "${provider}": add its @cdktf/provider-* package to terraform/check`);
        continue;
      }
      const schema = schemaOf(kind, type, provider);
      if (!schema) {
        problem(label, `unknown ${kind === "data" ? "data source" : "resource"} type ${type} (provider ${provider})`);
        continue;
      }
      checked[kind === "data" ? "data" : "resources"]++;
      checkBody(label, body, schema, schema.root);
    }
  }

  for (const [address, decl] of m.ephemeral) {
    if (checkEphemeral(address, decl)) checked.ephemeral++;
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
    for (const text of strings(json).flatMap(expressions)) {
      for (const r of text.matchAll(referencePattern)) {
        checked.references++;
        const kind = r[1] ? "data" : "resource";
        const address = `${r[2]}.${r[3]}`;
        const decl = (kind === "data" ? m.data : m.resources).get(address);
        if (!decl) {
          problem(where, `reference to undeclared ${r[1] ?? ""}${address}`);
          continue;
        }
        const schema = PROVIDERS[decl.provider] ? schemaOf(kind, r[2], decl.provider) : null;
        if (schema) checkReference(where, r[0], decl, schema, r[4]);
      }
      for (const r of text.matchAll(/(?<![\w.])ephemeral\.(\w+)\.(\w+)((?:\[[^\]]*\]|\.\w+)*)/g)) {
        checked.references++;
        checkEphemeralReference(where, m, r);
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
console.log(`checked ${checked.resources} resources, ${checked.data} data sources, ${checked.ephemeral} ephemeral resources and ${checked.references} references in ${dirs}`);
const versions = [...new Set(Object.values(PROVIDERS))].map((pkg) => {
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
