package redact

import (
	"reflect"
	"sync"
)

// Fields passes every string reachable from ptr through Text, in place: string fields of structs at any
// depth, through pointers, slices, arrays, map values and interfaces, and string types of any name. A
// struct field tagged `redact:"-"` is an identifier, not text (a message id, a ticket id, a platform id,
// a key), and is left as it is, with everything under it; map keys are identifiers too. Unexported
// fields are left alone.
//
// Redaction is structural this way: a value is redacted where it is written, whatever fields it has,
// so a field added later is redacted unless someone decided it is an identifier. A string is set only
// when Text changes it, so shared constant data (a slice of button labels) is never written to. ptr
// must be a non-nil pointer; anything else is left alone. Fields reports whether it changed anything.
func Fields(ptr any) bool { return walkPtr(ptr, Text) }

// Walk passes every string Fields would redact through fn instead, in place, and reports whether fn
// changed one: the text of a value, by the same rule (not under a field tagged `redact:"-"`), for other
// passes that must reach all of it, so that a field added later cannot escape them either (erasing a
// person from stored records).
func Walk(ptr any, fn func(string) string) bool { return walkPtr(ptr, fn) }

func walkPtr(ptr any, text func(string) string) bool {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return false
	}
	return walk(v.Elem(), text)
}

// walk passes the strings in v through text and reports whether it changed one. v is settable, or its
// strings are reached through a pointer, slice or map.
func walk(v reflect.Value, text func(string) string) bool {
	p := planFor(v.Type())
	if !p.text {
		return false
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if r := text(s); r != s && v.CanSet() {
			v.SetString(r)
			return true
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return walk(v.Elem(), text)
		}
	case reflect.Interface:
		if v.IsNil() || !v.CanSet() {
			return false
		}
		c := reflect.New(v.Elem().Type()).Elem()
		c.Set(v.Elem())
		if walk(c, text) {
			v.Set(c)
			return true
		}
	case reflect.Struct:
		changed := false
		for _, i := range p.fields {
			changed = walk(v.Field(i), text) || changed
		}
		return changed
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Array && !v.CanSet() {
			return false
		}
		changed := false
		for i := range v.Len() {
			changed = walk(v.Index(i), text) || changed
		}
		return changed
	case reflect.Map:
		changed := false
		it := v.MapRange()
		for it.Next() {
			c := reflect.New(v.Type().Elem()).Elem()
			c.Set(it.Value())
			if walk(c, text) {
				v.SetMapIndex(it.Key(), c)
				changed = true
			}
		}
		return changed
	}
	return false
}

// plan is what Fields does with a value of one type.
type plan struct {
	text   bool  // a value of the type can hold a string that Fields redacts
	fields []int // for a struct: the fields to walk (exported, not tagged `redact:"-"`, able to hold text)
}

var (
	plans   sync.Map   // reflect.Type -> *plan, complete ones only
	plansMu sync.Mutex // one goroutine makes plans at a time
)

// planFor returns the plan of type t, making it (and the plans of the types in it) on first use. Types
// without text (times, numbers, structs of identifiers) are skipped whole.
func planFor(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	plansMu.Lock()
	defer plansMu.Unlock()
	making := map[reflect.Type]*plan{}
	p := makePlan(t, making)
	// Published only once complete: another goroutine must never walk a struct by a half-made plan.
	for t, p := range making {
		plans.Store(t, p)
	}
	return p
}

func makePlan(t reflect.Type, making map[reflect.Type]*plan) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	if p, ok := making[t]; ok {
		return p // a type that contains itself: taken to hold text while its plan is being made
	}
	p := &plan{text: true}
	making[t] = p
	switch t.Kind() {
	case reflect.String, reflect.Interface:
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		p.text = makePlan(t.Elem(), making).text
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if f.IsExported() && f.Tag.Get("redact") != "-" && makePlan(f.Type, making).text {
				p.fields = append(p.fields, i)
			}
		}
		p.text = len(p.fields) > 0
	default:
		p.text = false
	}
	return p
}
