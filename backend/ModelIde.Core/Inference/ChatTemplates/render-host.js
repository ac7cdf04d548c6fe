// ModelIde's glue around @huggingface/jinja, run inside Jint. Template.render would declare its own raise_exception
// and strftime_now, and a render's variables cannot be redeclared, so this builds the same environment from the
// library's exported parts with the globals transformers' apply_chat_template gives a template: raise_exception that
// the C# side can tell apart from an engine error, strftime_now on the caller's clock, and range capped as jinja2's
// sandbox caps it. It also caps the one string builder that allocates in a single native call
// (String.prototype.repeat, used by indent/tojson), which Jint's per-statement memory check would only see after.
import { Environment, Interpreter, parse, tokenize } from "jinja";

// jinja2's sandbox refuses ranges longer than this (MAX_RANGE).
const MAX_RANGE = 100000;

const nativeRepeat = String.prototype.repeat;

export function configure(maxStringChars) {
  String.prototype.repeat = function (count) {
    if (this.length * count > maxStringChars) {
      throw new RangeError(`a string of ${this.length * count} characters is over the limit of ${maxStringChars}`);
    }
    return nativeRepeat.call(this, count);
  };
}

const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const pad = (n, width) => String(n).padStart(width, "0");

// Python's datetime.strftime in the C locale (what transformers calls), for the directives chat templates use.
function strftime(date, format) {
  return format.replace(/%([aAbBdHIjmMpSyYZz%])/g, (_, d) => {
    switch (d) {
      case "a": return days[date.getDay()].slice(0, 3);
      case "A": return days[date.getDay()];
      case "b": return months[date.getMonth()].slice(0, 3);
      case "B": return months[date.getMonth()];
      case "d": return pad(date.getDate(), 2);
      case "H": return pad(date.getHours(), 2);
      case "I": return pad(((date.getHours() + 11) % 12) + 1, 2);
      case "j": {
        const start = new Date(date.getFullYear(), 0, 1);
        return pad(Math.floor((date - start) / 86400000) + 1, 3);
      }
      case "m": return pad(date.getMonth() + 1, 2);
      case "M": return pad(date.getMinutes(), 2);
      case "p": return date.getHours() < 12 ? "AM" : "PM";
      case "S": return pad(date.getSeconds(), 2);
      case "y": return pad(date.getFullYear() % 100, 2);
      case "Y": return String(date.getFullYear());
      case "Z": return "";
      case "z": return "";
      default: return "%";
    }
  });
}

function range(start, stop, step = 1) {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0) {
    throw new Error("range() arg 3 must not be zero");
  }
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length > MAX_RANGE) {
    throw new Error(`Range too big. The sandbox blocks ranges larger than MAX_RANGE (${MAX_RANGE}).`);
  }
  return Array.from({ length }, (_, i) => start + i * step);
}

// jinja2 hands a test Undefined for an item that lacks the attribute in selectattr/rejectattr("attr", "test", ...);
// @huggingface/jinja 0.5.11 skips the item without asking the test, so Mistral-Nemo's
// `selectattr("tool_calls", "undefined")` selected nothing and its "roles must alternate" refusal never ran. This one
// case is answered here the way jinja2 answers it; everything else (and every error) is still the library's.
const libraryApplyFilter = Interpreter.prototype.applyFilter;
Interpreter.prototype.applyFilter = function (operand, filterNode, environment) {
  const name = filterNode.type === "CallExpression" && filterNode.callee.type === "Identifier" ? filterNode.callee.value : null;
  if ((name === "selectattr" || name === "rejectattr") && operand.type === "ArrayValue" && filterNode.args.length >= 2 &&
      filterNode.args.every((a) => a.type === "StringLiteral") &&
      operand.value.every((item) => item.type === "ObjectValue" && item.value instanceof Map)) {
    const [attr, testName, value] = filterNode.args.map((a) => this.evaluate(a, environment));
    const test = environment.tests.get(testName.value);
    if (test) {
      const missing = environment.lookupVariable("\u0000 no such variable");  // the library's Undefined
      const select = name === "selectattr";
      const kept = operand.value.filter((item) => Boolean(test(item.value.get(attr.value) ?? missing, value)) === select);
      return new operand.constructor(kept);
    }
  }
  return libraryApplyFilter.call(this, operand, filterNode, environment);
};

// contextJson: { messages, add_generation_prompt, bos_token, ..., __now: [y, m, d, H, M, S] }.
export function render(template, contextJson) {
  const context = JSON.parse(contextJson);
  const [y, mo, d, h, mi, s] = context.__now;
  delete context.__now;
  const now = new Date(y, mo - 1, d, h, mi, s);
  const globals = {
    false: false, true: true, none: null, False: false, True: true, None: null,
    range,
    raise_exception(message) {
      const error = new Error(String(message));
      error.name = "TemplateRaised";
      throw error;
    },
    strftime_now: (format) => strftime(now, String(format)),
  };
  // The same lexer options as the library's Template (and as transformers' jinja2 environment).
  const program = parse(tokenize(template, { lstrip_blocks: true, trim_blocks: true }));
  const env = new Environment();
  for (const [name, value] of Object.entries({ ...globals, ...context })) {
    env.set(name, value);
  }
  return new Interpreter(env).run(program).value;
}
