package redact_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"

	"github.com/firstline-desk/firstline/redact"
)

// Made-up secrets of the right shapes.
const (
	slackBot   = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
	slackUser  = "xoxp-123456789012-123456789012-1234567890123-0123456789abcdef0123456789abcdef"
	slackApp   = "xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	openAI     = "sk-Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl0nOp3rSt6v"
	openAIProj = "sk-proj-Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl0nOp3rSt6v_Wx9zAb2cDe5gHi8kLm1oPq4s-Tu7wXy0aBc3eFg6i"
	github     = "ghp_Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7j"
	githubPAT  = "github_pat_11ABCDEFG0123456789abc_Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl0nOp3rSt6vWx9zAb2cDe5gHi8kLm1oP"
	awsID      = "AKIAZ7QK3T5M2XW8RB4N"
	awsSecret  = "Xy7/Qz3+Lm9pRt2Vw5Nb8Kc1Hd4Gf6Js0Ae3Wq7T"
	googleKey  = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
	stripe     = "sk_live_51Hb3dEf6hIj9lMn2pQr5tUv8"
	jwt        = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUgRG9lIn0.c2lnbmF0dXJlLW5vdC1yZWFsLWF0LWFsbC0xMjM0NTY"
	discord    = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl"
	pemBody    = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu"
)

type kase struct {
	name, in, want string
}

func run(t *testing.T, cases []kase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := redact.String(c.in); got != c.want {
				t.Errorf("String(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

func TestPasswords(t *testing.T) {
	run(t, []kase{
		{"colon", "password: hunter2", "password: [redacted password]"},
		{"equals", "password=hunter2", "password=[redacted password]"},
		{"pwd", "pwd: Qwerty!234 for the mailbox", "pwd: [redacted password] for the mailbox"},
		{"passcode bare", "the passcode 482913 fails", "the passcode [redacted password] fails"},
		{"my password is", "my password is Tr0ub4dor&3 and it fails", "my password is [redacted password] and it fails"},
		{"pw is", "pw is hunter22 btw", "pw is [redacted password] btw"},
		{"new password", "new password: Blu3-Sky", "new password: [redacted password]"},
		{"upper case", "MY PASSWORD IS HUNTER2", "MY PASSWORD IS [redacted password]"},
		{"double quotes", `Password: "correct horse battery staple" ok`, `Password: "[redacted password]" ok`},
		{"single quotes", "my password is 'ilovemydog' lol", "my password is '[redacted password]' lol"},
		{"smart quotes", "password: “Smart-Quote9”", "password: “[redacted password]”"},
		{"backquotes", "password: `abc def`", "password: `[redacted password]`"},
		{"json", `{"password":"b4ckup!","user":"x"}`, `{"password":"[redacted password]","user":"x"}`},
		{"sentence end", "my password is hunter2.", "my password is [redacted password]."},
		{"is now", "password is now Autumn#2025", "password is now [redacted password]"},
		{"changed to", "I changed my password to Summer2024! today", "I changed my password to [redacted password] today"},
		{"reset to", "my password has been reset to TempPass#001", "my password has been reset to [redacted password]"},
		{"for clause", "the password for jdoe is Welcome2025", "the password for jdoe is [redacted password]"},
		{"for clause colon", "The password for the admin account: Adm!n-24", "The password for the admin account: [redacted password]"},
		{"possessive", "my password's Abc123456", "my password's [redacted password]"},
		{"bare strong", "admin / password Adm1n!2024", "admin / password [redacted password]"},
		{"wifi key", "my wifi key is Home-Net-2291", "my wifi key is [redacted password]"},
		{"identifier", "DB_PASSWORD=pa55word!", "DB_PASSWORD=[redacted password]"},
		{"dotted identifier", "spring.datasource.password=Spr1ng", "spring.datasource.password=[redacted password]"},
		{"flag", "--password=Cli-Secret-77 --dry-run", "--password=[redacted password] --dry-run"},
		{"env with ampersand", "PASSWORD=Tr0ub4dor&3", "PASSWORD=[redacted password]"},
		{"connection string", "User Id=sa;Password=P@ss;w0rd;Encrypt=True;", "User Id=sa;Password=[redacted password];Encrypt=True;"},
		{"connection string pwd", "Data Source=X;Pwd=SaPa55w0rd;", "Data Source=X;Pwd=[redacted password];"},
		{"query string", "/login?user=jdoe&password=s3cret&next=/", "/login?user=jdoe&password=[redacted password]&next=/"},
		{"pin colon", "PIN: 4821 for the printer", "PIN: [redacted password] for the printer"},
		{"pin is", "my pin is 739102", "my pin is [redacted password]"},
		{"pass label", "login jsmith pass: kT9#vv2p", "login jsmith pass: [redacted password]"},
		{"pass identifier", "DB_PASS=abc", "DB_PASS=[redacted password]"},
		{"other language", "Passwort: Kennwort123", "Passwort: [redacted password]"},
		{"powershell literal", `$password = "Ps-Literal-42"`, `$password = "[redacted password]"`},
		{"label as value", "password: password: hunter2", "password: password: [redacted password]"},
		{"xml config", `<add key="SmtpPassword" value="SmtpP4ss!" />`, `<add key="SmtpPassword" value="[redacted password]" />`},
		{"mysql", "mysql -u root -pR00tPa55 payroll", "mysql -u root -p[redacted password] payroll"},
		{"sshpass", "sshpass -p 'Sshp4ss!' ssh admin@host", "sshpass -p '[redacted password]' ssh admin@host"},
		{"securestring", "ConvertTo-SecureString 'Ps!Secure9' -AsPlainText", "ConvertTo-SecureString '[redacted password]' -AsPlainText"},
		{"curl -u", "curl -u jdoe:Jira2024! https://jira", "curl -u jdoe:[redacted password] https://jira"},

		{"forgot", "I forgot my password", "I forgot my password"},
		{"is not", "my password is not working", "my password is not working"},
		{"expired", "my password is expired, help", "my password is expired, help"},
		{"reset link", "password reset link expired", "password reset link expired"},
		{"times", "I typed my password 5 times", "I typed my password 5 times"},
		{"colon sentence", "Outlook asks for my password: is that phishing?", "Outlook asks for my password: is that phishing?"},
		{"participle", "the password is printed on the label", "the password is printed on the label"},
		{"masked", "password: ********", "password: ********"},
		{"placeholder", "Password: <your password here>", "Password: <your password here>"},
		{"env reference", "DB_PASSWORD=${DB_PASSWORD}", "DB_PASSWORD=${DB_PASSWORD}"},
		{"env variable", "PASSWORD=$DB_PASS psql", "PASSWORD=$DB_PASS psql"},
		{"dollar password", "password: $Ecret2024", "password: [redacted password]"},
		{"code", "$password = Read-Host -AsSecureString", "$password = Read-Host -AsSecureString"},
		{"function call", "password = getpass()", "password = getpass()"},
		{"test result", "pass: 12 fail: 0", "pass: 12 fail: 0"},
		{"short pin", "PIN: 12", "PIN: 12"},
		{"pin without separator", "pin 4821", "pin 4821"},
		{"pwd command", "pwd shows /home/jdoe", "pwd shows /home/jdoe"},
		{"password hash column", "WHERE password_hash = ?", "WHERE password_hash = ?"},
		{"marker", "password: [redacted password]", "password: [redacted password]"},
	})
}

func TestURLCredentials(t *testing.T) {
	run(t, []kase{
		{"https", "curl https://admin:Zx9!qwe@10.0.0.5/api", "curl https://admin:[redacted password]@10.0.0.5/api"},
		{"at in password", "https://user:p@ss@host/x", "https://user:[redacted password]@host/x"},
		{"no user", "redis://:r3disPass@cache:6379/0", "redis://:[redacted password]@cache:6379/0"},
		{"postgres", "postgres://app:Pg_S3cret!@db01:5432/app", "postgres://app:[redacted password]@db01:5432/app"},
		{"token in url", "https://x-access-token:" + github + "@github.com/corp/repo", "https://x-access-token:[redacted token]@github.com/corp/repo"},
		{"port", "http://localhost:8080/login?next=/home", "http://localhost:8080/login?next=/home"},
		{"user only", "https://jdoe@git.corp.local/repo.git", "https://jdoe@git.corp.local/repo.git"},
	})
}

func TestTokens(t *testing.T) {
	run(t, []kase{
		{"slack bot", "token is " + slackBot + " ok", "token is [redacted token] ok"},
		{"slack user", slackUser, "[redacted token]"},
		{"slack app", "SLACK_APP_TOKEN=" + slackApp, "SLACK_APP_TOKEN=[redacted token]"},
		{"slack legacy", "old xoxa-2-1234567890-abcdefABCDEF12 token", "old [redacted token] token"},
		{"slack refresh", "xoxr-1234567890-abcdefABCDEF12", "[redacted token]"},
		{"slack webhook", "https://hooks.slack.com/services/T0ABC1234/B0DEF5678/AbCdEfGhIjKlMnOpQrStUvWx fails", "https://hooks.slack.com/services/[redacted token] fails"},
		{"openai", "key " + openAI + ".", "key [redacted token]."},
		{"openai project", openAIProj, "[redacted token]"},
		{"github", "export GITHUB_TOKEN=" + github, "export GITHUB_TOKEN=[redacted token]"},
		{"github kinds", "gho_Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7j ghu_Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7j ghs_Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7j ghr_Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7j", "[redacted token] [redacted token] [redacted token] [redacted token]"},
		{"github pat", "PAT " + githubPAT + " fails", "PAT [redacted token] fails"},
		{"aws id", "key id " + awsID + " in the log", "key id [redacted token] in the log"},
		{"aws temporary id", "ASIAZ7QK3T5M2XW8RB4N", "[redacted token]"},
		{"aws id without digits", "id AKIAQWERTYUIOPASDFGH here", "id [redacted token] here"},
		{"aws secret labelled", "aws_secret_access_key = " + awsSecret, "aws_secret_access_key = [redacted token]"},
		{"aws secret key words", "secret key " + awsSecret + ", right?", "secret key [redacted token], right?"},
		{"aws pair", awsID + " / " + awsSecret, "[redacted token] / [redacted token]"},
		{"google", "key=" + googleKey + "&v=3", "key=[redacted token]&v=3"},
		{"stripe", "the key " + stripe + " leaked", "the key [redacted token] leaked"},
		{"stripe restricted", "rk_live_51Hb3dEf6hIj9lMn2pQr5tUv8", "[redacted token]"},
		{"jwt", "token " + jwt + " rejected", "token [redacted token] rejected"},
		{"bearer", "Authorization: Bearer abc123def456ghi789", "Authorization: Bearer [redacted token]"},
		{"bearer header in curl", "curl -H 'Authorization: Bearer " + jwt + "' https://x", "curl -H 'Authorization: Bearer [redacted token]' https://x"},
		{"basic", `-H "Authorization: Basic amRvZTpzM2NyZXQxMjM="`, `-H "Authorization: Basic [redacted token]"`},
		{"authorization token", `{"Authorization": "token ` + github + `"}`, `{"Authorization": "token [redacted token]"}`},
		{"api key header", "X-API-Key: 0123456789abcdef0123456789abcdef", "X-API-Key: [redacted token]"},
		{"api key sentence", "my api key is 0123456789abcdef0123456789abcdef, ok?", "my api key is [redacted token], ok?"},
		{"client secret", "client_secret: Abc8Q~Xy7Qz3Lm9pRt2Vw5Nb8Kc1Hd4Gf6Js0Ae3", "client_secret: [redacted token]"},
		{"account key", "AccountName=x;AccountKey=YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=;EndpointSuffix=core.windows.net", "AccountName=x;AccountKey=[redacted token];EndpointSuffix=core.windows.net"},
		{"discord", "bot token " + discord + " reset?", "bot token [redacted token] reset?"},
		{"discord webhook", "https://discord.com/api/webhooks/1234567890123456789/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "https://discord.com/api/webhooks/[redacted token]"},

		{"bearer of bad news", "Bearer of bad news: the printer is down", "Bearer of bad news: the printer is down"},
		{"bearer variable", "Authorization: Bearer $TOKEN", "Authorization: Bearer $TOKEN"},
		{"bearer placeholder", "Authorization: Bearer <token>", "Authorization: Bearer <token>"},
		{"authorization sentence", "Authorization failed: no access", "Authorization failed: no access"},
		{"api key placeholder", "api_key=YOUR_API_KEY", "api_key=YOUR_API_KEY"},
		{"code reference", "apiKey: process.env.OPENAI_API_KEY", "apiKey: process.env.OPENAI_API_KEY"},
		{"sk word", "the sk-ateboarding-club channel", "the sk-ateboarding-club channel"},
		{"sk lower case", "sk-abcdefghijklmnopqrstuvwxyz0123456789", "sk-abcdefghijklmnopqrstuvwxyz0123456789"},
		{"dotted base64 not discord", "aGVsbG8td29ybGQtYWJjZGVmZ2g.GaBcDe.Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl", "aGVsbG8td29ybGQtYWJjZGVmZ2g.GaBcDe.Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl"},
		{"git sha", "commit 9fceb02d0ae598e95dc970b74767f19372d61af8", "commit 9fceb02d0ae598e95dc970b74767f19372d61af8"},
		{"uuid", "device 3f2504e0-4f89-11d3-9a0c-0305e82c3301", "device 3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
		{"token expired", "token: expired", "token: expired"},
	})
}

func TestPrivateKeys(t *testing.T) {
	run(t, []kase{
		{"whole block", "key:\n-----BEGIN RSA PRIVATE KEY-----\n" + pemBody + "\n-----END RSA PRIVATE KEY-----\nok?", "key:\n[redacted private key]\nok?"},
		{"openssh", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + pemBody + "\n-----END OPENSSH PRIVATE KEY-----", "[redacted private key]"},
		{"pgp", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + pemBody + "\n-----END PGP PRIVATE KEY BLOCK-----", "[redacted private key]"},
		{"no end", "here: -----BEGIN PRIVATE KEY-----\n" + pemBody + "\nand more text", "here: [redacted private key]"},
		{"two blocks", "-----BEGIN EC PRIVATE KEY-----\nAAA\n-----END EC PRIVATE KEY----- and -----BEGIN EC PRIVATE KEY-----\nBBB\n-----END EC PRIVATE KEY-----", "[redacted private key] and [redacted private key]"},
		{"certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
		{"public key", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----"},
	})
}

func TestCardNumbers(t *testing.T) {
	run(t, []kase{
		{"visa spaced", "card 4111 1111 1111 1111 exp 09/27", "card [redacted card number] exp 09/27"},
		{"visa plain", "4012888888881881", "[redacted card number]"},
		{"visa 13", "old 4222222222222 card", "old [redacted card number] card"},
		{"visa 19", "4000 0000 0000 0000 006", "[redacted card number]"},
		{"mastercard dashed", "5555-5555-5555-4444", "[redacted card number]"},
		{"mastercard 2-series", "2223 0031 2200 3222", "[redacted card number]"},
		{"amex", "Amex 3782 822463 10005.", "Amex [redacted card number]."},
		{"amex plain", "378282246310005", "[redacted card number]"},
		{"diners", "3056 930902 5904", "[redacted card number]"},
		{"discover", "6011111111111117", "[redacted card number]"},
		{"jcb", "3530111333300000", "[redacted card number]"},
		{"unionpay", "6200 0000 0000 0005", "[redacted card number]"},
		{"after other digits", "ref 12 4111 1111 1111 1111", "ref 12 [redacted card number]"},
		{"two cards", "4111111111111111,5555555555554444", "[redacted card number],[redacted card number]"},
		{"cvv", "Visa 4012888888881881 cvc: 737", "Visa [redacted card number] cvc: [redacted card security code]"},

		{"luhn fails", "4111 1111 1111 1112", "4111 1111 1111 1112"},
		{"luhn fails plain", "4929123456789012", "4929123456789012"},
		{"issuer 1", "1234 5678 9012 3452", "1234 5678 9012 3452"}, // passes Luhn
		{"issuer 9", "9400 1000 0000 0000 0000 00", "9400 1000 0000 0000 0000 00"},
		{"12 digits", "4111 1111 1113", "4111 1111 1113"},
		{"20 digits", "41111111111111111116", "41111111111111111116"},
		{"visa 15 digits", "411111111111116", "411111111111116"}, // passes Luhn, Visa has no 15
		{"amex 16 digits", "3782822463100051", "3782822463100051"},
		{"glued to letters", "SN4111111111111111", "SN4111111111111111"},
		{"glued after", "4111111111111111x", "4111111111111111x"},
		{"odd grouping", "41 1111 1111 1111 11", "41 1111 1111 1111 11"},
		{"mixed separators", "4111 1111-1111 1111", "4111 1111-1111 1111"},
		{"zeros", "0000 0000 0000 0000", "0000 0000 0000 0000"},
		{"phone", "+1 (555) 010-2233", "+1 (555) 010-2233"},
	})
}

func TestLuhnEdges(t *testing.T) {
	// Every one-digit change of a valid number fails Luhn, and so is kept.
	const valid = "4111111111111111"
	if redact.String(valid) == valid {
		t.Fatalf("%s not redacted", valid)
	}
	for i := range len(valid) {
		for d := byte('0'); d <= '9'; d++ {
			if d == valid[i] {
				continue
			}
			n := valid[:i] + string(d) + valid[i+1:]
			if got := redact.String(n); got != n {
				t.Errorf("String(%s) = %q: one digit off a card fails Luhn", n, got)
			}
		}
	}
}

func TestOneTimeCodes(t *testing.T) {
	run(t, []kase{
		{"verification code is", "the verification code is 482913 but", "the verification code is [redacted one-time code] but"},
		{"spaced", "verification code 482 913", "verification code [redacted one-time code]"},
		{"otp colon", "OTP: 739201", "OTP: [redacted one-time code]"},
		{"mfa code", "MFA code 551034 not accepted", "MFA code [redacted one-time code] not accepted"},
		{"2fa is", "my 2FA is 551034", "my 2FA is [redacted one-time code]"},
		{"from the sms", "the code from the SMS was 661290", "the code from the SMS was [redacted one-time code]"},

		{"bare code", "the code is 500121", "the code is 500121"},
		{"error code", "Error code: 500121 when signing in with MFA", "Error code: 500121 when signing in with MFA"},
		{"mfa error", "MFA 500121 again", "MFA 500121 again"},
		{"short", "the OTP is 6 digits", "the OTP is 6 digits"},
		{"hex error", "error code 0x80070005", "error code 0x80070005"},
	})
}

func TestRecoveryKeys(t *testing.T) {
	const key = "123456-234567-345678-456789-567890-678901-789012-890123"
	run(t, []kase{
		{"bitlocker", "BitLocker recovery key: " + key, "BitLocker recovery key: [redacted recovery key]"},
		{"key id", "key ID 1A2B3C4D", "key ID 1A2B3C4D"},
	})
}

func TestOverlaps(t *testing.T) {
	run(t, []kase{
		{"label and shape", "SLACK_BOT_TOKEN=" + slackBot, "SLACK_BOT_TOKEN=[redacted token]"},
		{"bearer and jwt", "Bearer " + jwt, "Bearer [redacted token]"},
		{"password holding a token", "password=" + github, "password=[redacted token]"},
		{"url and token", "https://u:" + openAI + "@api.example", "https://u:[redacted token]@api.example"},
		{"adjacent", "password: hunter2 " + slackBot, "password: [redacted password] [redacted token]"},
		{"pem holding a token", "-----BEGIN PRIVATE KEY-----\n" + github + "\n-----END PRIVATE KEY-----", "[redacted private key]"},
	})
	// Findings never overlap and come in order.
	fs := redact.Find("password: " + slackBot + " and Bearer " + jwt + " and 4111111111111111")
	if len(fs) != 3 {
		t.Fatalf("Find: %+v, want 3 findings", fs)
	}
	for i := 1; i < len(fs); i++ {
		if fs[i].Start < fs[i-1].End {
			t.Errorf("findings %+v and %+v overlap", fs[i-1], fs[i])
		}
	}
}

func TestFind(t *testing.T) {
	s := "pw is hunter22 and card 4111 1111 1111 1111"
	want := []redact.Finding{
		{Kind: redact.Password, Start: 6, End: 14},
		{Kind: redact.CardNumber, Start: 24, End: 43},
	}
	got := redact.Find(s)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Find(%q) = %+v, want %+v", s, got, want)
	}
	if s[got[0].Start:got[0].End] != "hunter22" {
		t.Errorf("first finding is %q", s[got[0].Start:got[0].End])
	}
	if fs := redact.Find(""); fs != nil {
		t.Errorf("Find(\"\") = %+v", fs)
	}
}

func TestUnicode(t *testing.T) {
	run(t, []kase{
		{"around", "🔑 password: hunter2 🙈 merci", "🔑 password: [redacted password] 🙈 merci"},
		{"in the value", "password: ñandú2024 (teclado)", "password: [redacted password] (teclado)"},
		{"cyrillic value", "my password is пароль123", "my password is [redacted password]"},
		{"other script", "パスワードを忘れました", "パスワードを忘れました"},
		{"nbsp", "password:\u00a0hunter2", "password:\u00a0[redacted password]"},
		{"invalid utf-8", "\xff password: hunter2 \xfe", "\xff password: [redacted password] \xfe"},
	})
}

func TestEmpty(t *testing.T) {
	if got := redact.String(""); got != "" {
		t.Fatalf("String(\"\") = %q", got)
	}
}

func TestNoMatchReturnsInput(t *testing.T) {
	// A message without hints costs no allocation; one whose hints lead nowhere ("my password every
	// few minutes") costs the regexp's match slices, but is still returned as it is.
	for _, s := range []string{chatPlain, chatPassword} {
		if got := redact.String(s); unsafe.StringData(got) != unsafe.StringData(s) || len(got) != len(s) {
			t.Fatalf("String(%q) = %q, want the input itself", s, got)
		}
	}
	if n := testing.AllocsPerRun(100, func() { redact.String(chatPlain) }); n != 0 {
		t.Errorf("String(%q) allocates %v times", chatPlain, n)
	}
}

// TestLongInput checks that no input makes redaction slow: a megabyte of chat, and inputs built to make
// the patterns look again and again.
// longInputs are adversarial inputs of about 1 MiB each: repetitions of what the detectors look for.
// A detector that backtracks on them is quadratic; BenchmarkLongInput measures their speed.
func longInputs(size int) map[string]string {
	chat := strings.Repeat(chatPlain+"\n"+chatPassword+"\n"+chatSecrets+"\n", size/(len(chatPlain)+len(chatPassword)+len(chatSecrets)+3))
	return map[string]string{
		"chat":          chat,
		"letters":       strings.Repeat("a", size),
		"digits":        strings.Repeat("4", size),
		"spaced digits": strings.Repeat("4 ", size/2),
		"labels":        strings.Repeat("password:[redacted", size/16),
		"spaced labels": strings.Repeat("password: password ", size/16),
		"bearers":       strings.Repeat("bearer ", size/8),
		"sk":            strings.Repeat("sk-", size/4),
		"dots":          strings.Repeat("MTIzNDU2Nzg5MDEyMzQ1Njc4.", size/32),
		"pem":           strings.Repeat("-----BEGIN PRIVATE KEY-----", size/32),
		"quotes":        "password: " + strings.Repeat(`"`, size),
		"urls":          strings.Repeat("https://a:b", size/16),
	}
}

// TestLongInput checks what redaction makes of long adversarial input: valid text, secrets gone, and
// idempotent. Its speed is BenchmarkLongInput's business: a timed assertion here only measures how busy
// the machine is.
func TestLongInput(t *testing.T) {
	for name, in := range longInputs(1 << 20) {
		out := redact.String(in)
		if !utf8.ValidString(out) {
			t.Errorf("%s: output is not UTF-8", name)
		}
		if name == "chat" && (strings.Contains(out, "hunter2") || strings.Contains(out, slackBot)) {
			t.Errorf("chat: a secret survives")
		}
		if again := redact.String(out); again != out {
			t.Errorf("%s: redacting the output again changes it", name)
		}
	}
}

func TestIdempotent(t *testing.T) {
	for _, c := range readCorpus(t, "testdata/secrets.txt", true) {
		once := redact.String(c.text)
		if twice := redact.String(once); twice != once {
			t.Errorf("secrets.txt:%d: redacting again changes %q to %q", c.n, once, twice)
		}
		if !utf8.ValidString(once) {
			t.Errorf("secrets.txt:%d: output is not UTF-8: %q", c.n, once)
		}
	}
}
