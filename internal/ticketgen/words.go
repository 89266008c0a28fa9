package ticketgen

// What people ask and say: the words of the generated tickets.

// topic is a kind of question: how people phrase it and the article that answers it.
type topic struct {
	subjects []string
	article  string
	title    string
}

var topics = []topic{
	{[]string{"VPN will not connect from home", "Can't connect to the VPN", "VPN error 809"}, "vpn-connect", "Connect to Example VPN (or fix VPN that won't connect)"},
	{[]string{"VPN keeps disconnecting", "VPN is very slow today"}, "vpn-slow", "VPN is slow or keeps disconnecting"},
	{[]string{"Forgot my password", "Password expired and I can't log in", "Need a password reset"}, "password-reset", "Reset a forgotten or expired password"},
	{[]string{"Account locked out", "Locked out after too many attempts"}, "account-locked", "Unlock your account after too many failed sign-in attempts"},
	{[]string{"Outlook keeps asking for my password", "Outlook password prompt every few minutes"}, "outlook-password-prompt", "Outlook keeps asking for your password"},
	{[]string{"Printer on floor 3 is offline", "Printer jammed again", "Print job stuck in the queue"}, "printer-jammed", "Printer offline, paper jam or print job stuck in the queue"},
	{[]string{"How do I add the office printer", "Can't find the printer on my laptop"}, "printer-setup", "Add an office printer to your laptop"},
	{[]string{"New phone, need to move MFA", "Lost my MFA phone"}, "mfa-new-phone", "Move MFA to a new phone, or sign in after losing your MFA phone"},
	{[]string{"Laptop is very slow", "Laptop freezing and overheating"}, "laptop-slow", "Laptop running slow, freezing or overheating"},
	{[]string{"Second monitor not detected", "Docking station not working"}, "external-monitor", "Second monitor or docking station not detected"},
	{[]string{"OneDrive not syncing", "SharePoint files not syncing"}, "onedrive-sync", "OneDrive or SharePoint files not syncing"},
	{[]string{"Need access to the finance shared drive", "Access to the HR SharePoint site"}, "shared-drive-access", "Request access to a shared drive, folder or SharePoint site"},
	{[]string{"Need Photoshop installed", "Please install Visio", "Request for a new app"}, "software-install", "Install software from Company Portal or request a new app"},
	{[]string{"Microphone not working in Teams", "No sound in Teams meetings"}, "teams-audio", "Microphone, camera or speakers not working in Teams meetings"},
	{[]string{"Can't share my screen in Zoom", "Screen sharing greyed out in Teams"}, "screen-sharing", "Can't share your screen in Teams or Zoom (macOS permissions)"},
	{[]string{"Mailbox full", "Can't send email, mailbox over quota"}, "mailbox-full", "Mailbox full: free up space and use your online archive"},
	{[]string{"Suspicious email asking for my login", "I think I got a phishing email"}, "phishing-report", "Report a suspicious or phishing email"},
	{[]string{"BitLocker recovery key screen", "Laptop asks for a recovery key"}, "bitlocker-recovery", "BitLocker recovery key screen at startup"},
	{[]string{"Wi-Fi in the office keeps dropping", "Guest Wi-Fi password"}, "wifi-office", "Connect to office Wi-Fi and guest Wi-Fi"},
	{[]string{"Deleted a file by mistake", "Restore an older version of a spreadsheet"}, "backup-restore", "Restore a deleted file or an earlier version of a document"},
	{[]string{"New starter on Monday needs a laptop", "Accounts for a new starter"}, "new-starter", "Onboarding a new starter: accounts, laptop and access"},
	{[]string{"Need admin rights to install a driver", "Local admin rights request"}, "admin-rights", "Request local administrator rights on your laptop"},
	{[]string{"Disk full, can't save files", "Low disk space warning"}, "disk-space", "Free up disk space when your laptop is full"},
	{[]string{"Set up work email on my iPhone", "Teams on my Android phone"}, "email-phone", "Set up work email and Teams on your iPhone or Android phone"},
	// Questions the knowledge base has no article for: the knowledge gaps of a report.
	{[]string{"ERP invoice export fails with error 500", "Badge reader at the back door not working", "Payroll app shows the wrong cost centre", "CAD licence server unreachable"}, "", ""},
}

var suffixes = []string{"", "", "", " since this morning", " after the update", " again", " on my new laptop", " urgent"}

var (
	firstNames = []string{"Ana", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kim", "Leo", "Maya", "Noah", "Olga", "Priya", "Quentin", "Rosa", "Sam", "Tara"}
	lastNames  = []string{"Smith", "Garcia", "Müller", "Rossi", "Nowak", "Dubois", "Kim", "Silva", "Jensen", "Okafor", "Tanaka", "Novak"}
	techLines  = []string{"I'll take a look now.", "Can you restart and try again?", "Which error do you see exactly?",
		"I've reset it on our side, please try again.", "Could you send a screenshot?", "That should be fixed now."}
	replyLines = []string{"Still the same.", "It works now, thanks!", "Here is the screenshot.", "I restarted, no change.", "OK, trying now."}
	notes      = []string{"probably the gateway cert", "known issue with the last update", "needs a licence from procurement"}
)
