/**
 * The runtime ACL and sample engine. What the stream uses:
 *  - SampleContext (context.ts): what the stream exposes to fetches;
 *  - ProxyAcls (compile.ts): per proxy, `acls.cond(rule.cond).eval(ctx, final)`
 *    gives true / false / 'wait';
 *  - compileExpr / evalExpr / evalString (expr.ts): sample expressions of actions;
 *  - compileLogFormat (logformat.ts): log-format strings rendered per stream.
 */
export * from './context.js';
export { T, Sample, OPT_FINAL, OPT_ITERATE, OPT_RES, F_MAY_CHANGE, F_NOT_LAST, cast, sampleToString, type SmpValue } from './types.js';
export { compileExpr, compileParsedExpr, evalExpr, evalString, evalAs, processExpr, type CompiledExpr } from './expr.js';
export {
  ProxyAcls,
  CompiledCond,
  compileAclWords,
  compileCondText,
  execAcl,
  newEnv,
  PREDEFINED_ACLS,
  ACL_FAIL,
  ACL_MISS,
  ACL_PASS,
  type CondFn,
  type CompiledAcl,
  type AclExpr,
} from './compile.js';
export { compileLogFormat, LogFormat, type LogVars } from './logformat.js';
export { fetchImpls, convImpls, type CompileEnv } from './registry.js';
export { clearMaps, loadMap } from './converters/map.js';
export * as clientHello from './clienthello.js';
