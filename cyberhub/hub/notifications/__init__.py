"""E-mail to the analysts' team mailbox (the `mail_*` settings): a new campaign, an advisory
draft waiting for a second analyst, and addressed towns that have not acknowledged a published
advisory after `mail_unacknowledged_hours`. The scheduler looks every minute; plain text from
the console's catalog (`[mail]`), German unless `mail_language` says English.

- `events`: what is new, each event under a key (`campaign:<id>`,
  `advisory-waiting:<id>:<revision>`, `unacknowledged:<advisory>:<version>:<node>`);
- `mails`: the mail for each event, in the chosen language;
- `smtp`: sending over `smtplib` with the configured TLS, login and timeout;
- `service`: a run (claim, send, record) and the test mail of `cyberhub notifications test`.

Each key is mailed once, also with two schedulers on one database: under the database lock
`notifications` a run claims the keys it will mail (a row, primary key the event key, `pending`
until `claimed_until`), commits, sends outside any transaction (a slow mail server must not
hold the database), and marks each mail `sent` once the server accepted it. Another scheduler
passes over a claimed key. A mail the server refused is tried again the next minute. A
scheduler that dies after the server accepted a mail and before recording it sends it again
when the claim runs out: at least once, because a lost warning costs more than a second copy.

The first run with mail turned on records what is already there as `skipped`, without mail
(hub setting `notifications_since`): turning mail on for a hub in use does not flood the
mailbox with its past.

Mail leaves the hub's access control (mail servers, forwarding, phones), so it names no town
and shows an advisory's title only up to TLP:GREEN: counts, Länder, ids, the strongest
evidence (defanged) and a link to the console, where the analyst signs in.

The package sits in the entry-points layer beside `jobs`, which runs it; its texts come from
the project's one catalog (`cyberhub.core.messages`, section `[mail]`).
"""
