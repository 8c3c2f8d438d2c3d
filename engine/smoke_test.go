package engine

import "testing"

func TestSmoke(t *testing.T) {
	e := setup(t, Config{})
	for _, src := range []string{
		"export default async function(input){ return {greeting: 'hello ' + input.name} }",
		"export function handler(input: {name: string}): number { return 1 + 1 }",
		"module.exports = function(i){ return [i] }",
		"export default function(){ throw new TypeError('boom') }",
		"export default function(){ return eval('1') }",
		"export default function(){ return (function(){}).constructor('return 1')() }",
		"export default async function(){ await new Promise(r => setTimeout(r, 10)); return 'late' }",
		"export default function(){ for(;;){} }",
		"export default function(){ return 'x'.repeat(2**30).length }",
		"export default function f(){ return f() }",
		"import fs from 'fs'; export default function(){}",
		"export default function(){ let x = ; }",
		"export default async function(){ Promise.reject(new Error('nobody')); await null; return 1 }",
		"export default function(){ setInterval(()=>{}, 5); return 2 }",
	} {
		res := runSource(t, e, "hello.ts", src, map[string]any{"name": "Ada"}, InvokeParams{Timeout: 300e6})
		t.Logf("%s\n   => value=%s err=%+v logs=%v dur=%s", src, res.Value, res.Err, res.Logs, res.Metrics.Duration)
	}
}
