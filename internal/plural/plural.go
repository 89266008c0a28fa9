// Package plural writes counts in English, so that nothing reads "1 tickets": Count(1, "ticket",
// "tickets") is "1 ticket", Count(2, "ticket", "tickets") is "2 tickets", and 0 takes the plural. Every
// count a person reads, in chat, on the command line or in a report, is written with it. Both forms are
// given, since English plurals are not a rule ("entry", "entries"; "person", "people").
package plural

import "fmt"

// Integer is a count of anything.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Count is n followed by one when n is 1, by many otherwise: "1 ticket", "0 tickets", "2 tickets".
func Count[N Integer](n N, one, many string) string {
	return fmt.Sprintf("%d %s", n, Noun(n, one, many))
}

// Noun is one when n is 1, many otherwise: for a count written another way than Count writes it
// ("1,234 tickets", "5×").
func Noun[N Integer](n N, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
