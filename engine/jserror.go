package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kiln-run/kiln/internal/goja"
)

// toError turns whatever ended an invocation into an *Error with a code and
// a position in the user's source.
func (vm *VM) toError(inv *invocation, err error) *Error {
	// A limit or sandbox interrupt wins: whatever surfaced afterwards (an
	// exception thrown by a half-finished built-in, say) is its consequence.
	if ie := inv.firstInterrupt(); ie != nil {
		e := *ie
		var interrupted *goja.InterruptedError
		if errors.As(err, &interrupted) {
			e.Stack = cleanStack(interrupted.String())
			e.Position = firstPosition(e.Stack)
		}
		return &e
	}
	var (
		e           *Error
		interrupted *goja.InterruptedError
		overflow    *goja.StackOverflowError
		exception   *goja.Exception
	)
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &interrupted):
		switch v := interrupted.Value().(type) {
		case *Error:
			return v
		case *goja.MemoryLimitError:
			e := memoryLimitError(v)
			e.Stack = cleanStack(interrupted.String())
			e.Position = firstPosition(e.Stack)
			return e
		}
		return Errorf(CodeInternal, "the script was interrupted")
	case errors.As(err, &overflow):
		stack := cleanStack(overflow.String())
		return &Error{Code: CodeStackOverflow, Position: firstPosition(stack), Stack: stack,
			Message: fmt.Sprintf("maximum call stack size (%d frames) exceeded: look for recursion without an end", vm.engine.cfg.MaxCallStackSize)}
	case errors.As(err, &exception):
		return vm.errorFromValue(exception.Value())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return ctxError(inv.parent, inv.timeout)
	}
	return Errorf(CodeInternal, "the invocation failed inside Kiln: %v", err)
}

// errorFromValue describes a thrown JS value.
func (vm *VM) errorFromValue(v goja.Value) *Error {
	e := &Error{Code: CodeRuntimeError}
	obj, ok := v.(*goja.Object)
	if !ok || v == nil {
		e.Message = "the script threw a non-Error value: " + safeString(v)
		return e
	}
	name := safeString(obj.Get("name"))
	msg := safeString(obj.Get("message"))
	switch {
	case name == "ReferenceError" && (msg == "require is not defined" || msg == noRequire+" is not defined"):
		// A require (or a dynamic import, which the bundler lowers to one)
		// of a name the bundler could not see met the missing global at
		// run time: the sandbox's refusal. (A script may catch the
		// ReferenceError and carry on, as with any other.)
		e.Code = CodeSandboxViolation
		e.Message = "require is not allowed in Kiln scripts: import files from the script's own folder instead (import x from './x'), and use the iota SDK and web globals"
	case name != "" && msg != "":
		e.Message = name + ": " + msg
	case msg != "":
		e.Message = msg
	default:
		e.Message = safeString(v)
	}
	if code := obj.Get("code"); code != nil && !goja.IsUndefined(code) {
		if c := Code(code.String()); c.Info().Script {
			e.Code = c
		}
	}
	if stack := obj.Get("stack"); stack != nil && !goja.IsUndefined(stack) {
		e.Stack = cleanStack(stack.String())
		e.Position = firstPosition(e.Stack)
	}
	return e
}

func safeString(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		if v == nil {
			return ""
		}
		return v.String()
	}
	defer func() { _ = recover() }() // a throwing toString must not take the engine down
	return v.String()
}

var (
	pcSuffix      = regexp.MustCompile(`\(\d+\)\)?$`)
	framePosition = regexp.MustCompile(`([^\s()]+:\d+:\d+)`)
)

// maxStackFrames caps the frames kept: a stack overflow has thousands.
const maxStackFrames = 30

// cleanStack keeps the frames of the user's code, in original positions,
// without goja's program counters or Kiln's own prelude.
func cleanStack(stack string) string {
	var out []string
	for _, line := range strings.Split(stack, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.Contains(t, "kiln:prelude.js") || strings.Contains(t, "(native)") || strings.Contains(t, "<native>") {
			continue
		}
		if len(out) > maxStackFrames {
			out = append(out, "    …")
			break
		}
		if strings.HasPrefix(t, "at ") {
			if strings.HasSuffix(t, ")") && strings.Count(t, "(") >= 2 {
				t = pcSuffix.ReplaceAllString(t, ")")
			} else {
				t = pcSuffix.ReplaceAllString(t, "")
			}
			if strings.Contains(t, sourcePrefix) {
				// Frames in the user's code come through its files' source
				// maps, whose columns goja reports 0-based.
				t = strings.ReplaceAll(t, sourcePrefix, "")
				t = framePosition.ReplaceAllStringFunc(t, oneBasedColumn)
			}
			out = append(out, "    "+t)
			continue
		}
		if len(out) == 0 {
			out = append(out, t)
		}
	}
	return strings.Join(out, "\n")
}

func oneBasedColumn(pos string) string {
	i := strings.LastIndexByte(pos, ':')
	col, err := strconv.Atoi(pos[i+1:])
	if err != nil {
		return pos
	}
	return pos[:i+1] + strconv.Itoa(col+1)
}

// firstPosition returns the first file:line:col in a cleaned stack.
func firstPosition(stack string) string {
	for _, line := range strings.Split(stack, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "at ") {
			continue
		}
		if m := framePosition.FindStringSubmatch(line); m != nil {
			return m[1]
		}
	}
	return ""
}
