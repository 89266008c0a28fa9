package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestFloatFlagsRefuseWhatIsNoNumber: NaN and the infinities, in any spelling strconv takes, and values
// out of range are refused with status 2 and a sentence naming the flag, before any work.
func TestFloatFlagsRefuseWhatIsNoNumber(t *testing.T) {
	for _, v := range []string{"NaN", "nan", "Inf", "+Inf", "-Inf", "infinity", "-1", "1.5", "1e400"} {
		_, errOut, code := runMain(t, "kb", "eval", "-corpus", evalCorpus, "-queries", evalQueries, "-min-confidence", v)
		if code != 2 || !strings.Contains(errOut, "-min-confidence") {
			t.Errorf("-min-confidence %s: exit %d, want 2 and a sentence naming it:\n%s", v, code, errOut)
		}
	}
	for _, v := range []string{"0", "-3", "1001"} {
		_, errOut, code := runMain(t, "kb", "search", "-n", v, "vpn", "-data", t.TempDir())
		if code != 2 || !strings.Contains(errOut, "-n is "+v) {
			t.Errorf("kb search -n %s: exit %d, want 2:\n%s", v, code, errOut)
		}
	}
}

// floatKeys lists the TOML key of every float in the config, found by walking its type: a float added
// later is tested without this test changing.
func floatKeys(t reflect.Type, path string) []string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return []string{path}
	case reflect.Pointer:
		return floatKeys(t.Elem(), path)
	case reflect.Struct:
		var keys []string
		for i := 0; i < t.NumField(); i++ {
			key, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
			keys = append(keys, floatKeys(t.Field(i).Type, joinKey(path, key))...)
		}
		return keys
	}
	return nil
}

// TestConfigRefusesFloatsThatAreNoNumber: every float of the config written as nan, inf or -inf (TOML has
// them) is refused by key, however the key's own range check is written.
func TestConfigRefusesFloatsThatAreNoNumber(t *testing.T) {
	keys := floatKeys(reflect.TypeOf(Config{}), "")
	if len(keys) < 10 {
		t.Fatalf("found only the floats %v", keys)
	}
	for _, key := range keys {
		section, name := key[:strings.LastIndex(key, ".")], key[strings.LastIndex(key, ".")+1:]
		for _, v := range []string{"nan", "inf", "-inf"} {
			toml := fmt.Sprintf("[[tiers]]\nid = \"t2\"\nname = \"Tier 2\"\nchannel = \"console:t2\"\nmembers = [\"console:tom\"]\n\n[%s]\n%s = %s\n", section, name, v)
			_, err := ParseConfig("f.toml", []byte(toml), noEnv)
			if err == nil || !strings.Contains(err.Error(), key+": ") {
				t.Errorf("%s = %s: %v", key, v, err)
			}
		}
	}
}

// TestConfigRefusesDaysThatOverflow: a number of days past a hundred years is refused: the retention
// cut-off computed from 10^15 days lands in the future, and every resolved ticket would be purged.
func TestConfigRefusesDaysThatOverflow(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ toml, want string }{
		{"[retention]\nclosed_ticket_days = 1000000000000000\n", "retention.closed_ticket_days: 1000000000000000 must be 0"},
		{"[retention]\nclosed_ticket_days = 36501\n", "retention.closed_ticket_days: 36501"},
		{"[csat]\nmin_days_between = 9000000000000000000\n", "csat.min_days_between: 9000000000000000000 must be at most"},
	} {
		name := filepath.Join(dir, "f.toml")
		os.WriteFile(name, []byte("[[tiers]]\nid = \"t2\"\nname = \"Tier 2\"\nchannel = \"console:t2\"\nmembers = [\"console:tom\"]\n\n"+tc.toml), 0o600)
		_, errOut, code := runMain(t, "report", "-config", name, "-data", dir)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, want %q:\n%s", tc.toml, code, tc.want, errOut)
		}
	}
}
