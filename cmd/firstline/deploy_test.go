package main

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The files an operator deploys from (the Dockerfile, deploy/firstline.service) are checked here for what
// can be checked without Docker or systemd: the commands they run are run, the paths they name agree, and
// the mistakes that stopped the README's old unit from starting are refused. .ci/run also has
// systemd-analyze verify the unit where it is installed.

// dockerfile reads the Dockerfile's instructions, continuation lines joined, comments dropped.
func dockerfile(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	cont := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		if cont {
			out[len(out)-1] += " " + strings.TrimSuffix(line, `\`)
		} else {
			out = append(out, strings.TrimSuffix(line, `\`))
		}
		cont = strings.HasSuffix(line, `\`)
	}
	return out
}

// instruction returns the arguments of every instruction named name ("RUN", "HEALTHCHECK").
func instruction(lines []string, name string) []string {
	var out []string
	for _, l := range lines {
		if word, rest, _ := strings.Cut(l, " "); strings.EqualFold(word, name) {
			out = append(out, strings.TrimSpace(rest))
		}
	}
	return out
}

// execForm reads a JSON-array form instruction: ["a", "b"].
var execArg = regexp.MustCompile(`"([^"]*)"`)

func execForm(s string) []string {
	var out []string
	for _, m := range execArg.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestDockerfile builds the binary with the Dockerfile's own build command (static, version stamped),
// runs the image's HEALTHCHECK command with it against a running desk, and checks that the image runs as
// a user that is not root, with the volume where the command keeps its data.
func TestDockerfile(t *testing.T) {
	lines := dockerfile(t)
	var build string
	for _, r := range instruction(lines, "RUN") {
		if strings.Contains(r, "go build") {
			build = r
		}
	}
	if !strings.Contains(build, "CGO_ENABLED=0") || !strings.Contains(build, "-X main.version=${VERSION}") || !strings.Contains(build, "-X main.commit=${COMMIT}") {
		t.Fatalf("the build is not static with the version stamped: %q", build)
	}
	// The release build, for the target the image is built on: the same command, so that a container
	// and a release binary are the same program.
	script, err := os.ReadFile("../../scripts/release.sh")
	if err != nil {
		t.Fatal(err)
	}
	release := ""
	for _, l := range strings.Split(strings.ReplaceAll(string(script), "\\\n", " "), "\n") {
		if strings.Contains(l, "go build") {
			release = strings.Join(strings.Fields(l), " ")
		}
	}
	release = strings.NewReplacer(" GOOS=$os GOARCH=$arch", "", "$version", "${VERSION}", "$commit", "${COMMIT}", `"$out/$name"`, "/out/firstline").Replace(release)
	if release != build {
		t.Fatalf("the Dockerfile builds\n\t%s\nscripts/release.sh builds\n\t%s", build, release)
	}
	if runtime.GOOS != "linux" {
		t.Fatalf("the image is Linux; this test builds its binary natively and runs it (GOOS %s)", runtime.GOOS)
	}

	// The Dockerfile's build, run here: /out is a temporary folder, the build arguments are given.
	out := t.TempDir()
	cmd := strings.NewReplacer("/out/", out+"/", "${VERSION}", "v9.8.7", "${COMMIT}", "c0ffee").Replace(build)
	sh := exec.Command("sh", "-c", cmd)
	sh.Dir = "../.."
	if b, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, b)
	}
	bin := filepath.Join(out, "firstline")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary is dynamically linked: a distroless static image cannot run it")
		}
	}
	f.Close()
	if b, err := exec.Command(bin, "version").Output(); err != nil || !strings.HasPrefix(string(b), "firstline v9.8.7 (commit c0ffee, ") {
		t.Fatalf("firstline version of the image's binary: %q %v", b, err)
	}

	// The HEALTHCHECK, with the built binary, against a desk listening where the check asks.
	checks := instruction(lines, "HEALTHCHECK")
	if len(checks) != 1 {
		t.Fatalf("want one HEALTHCHECK, got %q", checks)
	}
	_, form, _ := strings.Cut(checks[0], "CMD ")
	check := execForm(form)
	expose := instruction(lines, "EXPOSE")
	if len(check) != 4 || check[1] != "health" || check[2] != "-url" || len(expose) != 1 || check[3] != "http://127.0.0.1:"+expose[0]+"/healthz" {
		t.Fatalf("the HEALTHCHECK %q does not ask /healthz on the exposed port %q", check, expose)
	}
	addr := startHTTPDesk(t, defaultHTTPLimits)
	if b, err := exec.Command(bin, "health", "-url", "http://"+addr+"/healthz").CombinedOutput(); err != nil || !strings.HasPrefix(string(b), "Firstline is ok") {
		t.Fatalf("the HEALTHCHECK against a running desk: %v\n%s", err, b)
	}
	if err := exec.Command(bin, "health", "-url", "http://127.0.0.1:1/healthz").Run(); err == nil {
		t.Fatal("the HEALTHCHECK passes with no desk")
	}

	// The binary where the entrypoint runs it, a user that is not root, the volume the command's -data.
	entry := execForm(instruction(lines, "ENTRYPOINT")[0])
	copied := false
	for _, c := range instruction(lines, "COPY") {
		copied = copied || strings.HasSuffix(c, " /out/firstline "+entry[0])
	}
	user := instruction(lines, "USER")
	volume := execForm(instruction(lines, "VOLUME")[0])
	run := execForm(instruction(lines, "CMD")[0])
	dataAt := slices.Index(run, "-data")
	if !copied || len(entry) != 1 || check[0] != entry[0] || len(user) != 1 || strings.HasPrefix(user[0], "0") || strings.HasPrefix(user[0], "root") ||
		dataAt < 0 || len(volume) != 1 || run[dataAt+1] != volume[0] {
		t.Fatalf("entrypoint %q (copied: %v), user %q, volume %q, command %q", entry, copied, user, volume, run)
	}
	// The command is one the binary takes: its flags, parsed, then -h (which does nothing else).
	if b, err := exec.Command(bin, append(run, "-h")...).CombinedOutput(); err != nil || !strings.HasPrefix(string(b), "Usage: firstline run") {
		t.Fatalf("the image's command %q: %v\n%s", run, err, b)
	}
}

// TestSystemdUnit checks deploy/firstline.service, and the replicas' template deploy/firstline@.service,
// for the mistakes that kept the README's old unit from starting: a comment after a value (systemd keeps
// it in the value), a ReadWritePaths= folder that may not exist (the service fails to start), no
// WorkingDirectory= (relative writes land in /); and that its ExecStart is a command the program takes,
// with the state directory as -data (each replica's own, in the template).
func TestSystemdUnit(t *testing.T) {
	for _, name := range []string{"firstline.service", "firstline@.service"} {
		t.Run(name, func(t *testing.T) { checkSystemdUnit(t, "../../deploy/"+name) })
	}
}

func checkSystemdUnit(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "[") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("line %d is no key=value: %q", i+1, line)
		}
		if strings.Contains(value, " #") || strings.Contains(value, "\t#") {
			t.Errorf("line %d: a comment after the value of %s becomes part of the value: %q", i+1, key, line)
		}
		keys[key] = append(keys[key], value)
	}
	state := "/var/lib/" + strings.Join(keys["StateDirectory"], "")
	for _, v := range keys["ReadWritePaths"] {
		for _, p := range strings.Fields(v) {
			if !strings.HasPrefix(p, "-") && p != state {
				t.Errorf("ReadWritePaths=%s: the service does not start while it is missing; write -%s", p, p)
			}
		}
	}
	if len(keys["WorkingDirectory"]) != 1 || !slices.Contains(keys["EnvironmentFile"], "/etc/firstline/secrets.env") || len(keys["ExecStart"]) != 1 {
		t.Fatalf("want one WorkingDirectory= and ExecStart=, and EnvironmentFile=/etc/firstline/secrets.env: %v", keys)
	}
	if strings.Contains(path, "@") && !strings.Contains(state, "%i") {
		t.Fatalf("StateDirectory=%s: each replica needs a data folder of its own (%%i)", strings.Join(keys["StateDirectory"], ""))
	}
	exec1 := strings.Fields(keys["ExecStart"][0])
	if exec1[0] != "/usr/local/bin/firstline" || !slices.Contains(exec1, "-config") || !slices.Contains(exec1, "-data") ||
		exec1[slices.Index(exec1, "-data")+1] != state {
		t.Fatalf("ExecStart=%s: want /usr/local/bin/firstline run -config FILE -data %s", keys["ExecStart"][0], state)
	}
	out, errOut, code := runMain(t, append(exec1[1:], "-h")...)
	if code != 0 || !strings.HasPrefix(out, "Usage: firstline run") {
		t.Fatalf("ExecStart's command is not one the program takes: exit %d\n%s%s", code, out, errOut)
	}
}
