# Stránky otp-edge, čeština. Syntaxe Project Fluent (https://projectfluent.org/fluent/guide/).
# Každé id musí existovat i v en.ftl a každý text, který stránka ukazuje, pochází odsud
# nebo ze serveru (tests/tests/catalogs.rs, tests/browser/harness.mjs).
# Množné číslo: one = 1, few = 2–4, many = desetinná čísla, other = 0 a 5 a více.
# Názvosloví: dvoufázové ověření (OTP), jednorázový / ověřovací kód, ověřovací aplikace,
# sdílený klíč, klíčenka OTP, záložní kódy (recovery codes), obnovení přístupu.

## Všechny stránky

brand = Zákaznický portál otp-edge
language-label = Jazyk
language-cs = Čeština
language-en = English
title-sign-in = Přihlášení · otp-edge
title-account = Váš účet · otp-edge
title-recovery = Nemám přístup ke klíčence OTP · otp-edge
email-label = E-mailová adresa
password-label = Heslo
phone-label = Telefonní číslo
code-label = Ověřovací kód
back-button = Zpět
cancel-button = Zrušit
sign-in-link = Přihlásit se
email-missing = Zadejte svou e-mailovou adresu.
email-invalid = Zadejte platnou e-mailovou adresu, například jmeno@example.com.
password-missing = Zadejte své heslo.
error-network = Nepodařilo se spojit se serverem. Zkontrolujte připojení a zkuste to znovu.
error-http-status = Server odpověděl stavem { $status }. Zkuste to prosím znovu.
module-missing = Bezpečnostní modul stránky se nenačetl. Načtěte stránku znovu a zkuste to ještě jednou.
countdown = Kód se změní za { $seconds } s.
drift-ahead = o { $seconds } { $seconds ->
        [one] sekundu
        [few] sekundy
        [many] sekundy
       *[other] sekund
    } napřed oproti serveru
drift-behind = o { $seconds } { $seconds ->
        [one] sekundu
        [few] sekundy
        [many] sekundy
       *[other] sekund
    } pozadu oproti serveru
drift-warning = Hodiny vašeho zařízení jdou { $drift }. Kódy z ověřovací aplikace v tomto zařízení mohou být odmítnuty: nastavte automatické seřizování času (ze sítě).

## Zadané kódy (důvody z bezpečnostního modulu)

code-empty = Zadejte kód, který ukazuje vaše ověřovací aplikace.
code-not_digits = Kód smí obsahovat jen číslice 0–9.
code-wrong_length = Kód má { $got } { $got ->
        [one] číslici
        [few] číslice
        [many] číslice
       *[other] číslic
    }; musí jich mít přesně { $expected }.
recovery-code-empty = Zadejte jeden ze svých záložních kódů.
recovery-code-not_in_alphabet = Záložní kód obsahuje jen písmena A–Z bez I, L a O a číslice 2–9; zkontrolujte, co jste zadali.
recovery-code-wrong_length = Záložní kód má 12 znaků (například ABCD-EFGH-JKMN); tento má { $got } { $got ->
        [one] znak
        [few] znaky
        [many] znaku
       *[other] znaků
    }.

## Přihlášení

sign-in-title = Přihlášení
sign-in-button = Přihlásit se
otp-step-title = Zadejte ověřovací kód
otp-step-intro = Otevřete ověřovací aplikaci a zadejte šestimístný jednorázový kód, který ukazuje pro tento účet.
verify-button = Ověřit
use-recovery-code = Použít záložní kód
recovery-code-title = Přihlášení záložním kódem
recovery-code-label = Záložní kód
recovery-code-hint = Jeden z deseti kódů, které jste si uložili při zapnutí dvoufázového ověření, například ABCD-EFGH-JKMN. Každý kód platí jen jednou; dvoufázové ověření zůstane zapnuté.
recovery-code-button = Přihlásit se tímto kódem
lost-keychain = Nemám přístup ke klíčence OTP
recovery-request-title = Obnovení přístupu e-mailem a SMS
recovery-request-intro = Pošleme vám e-mailem odkaz. Otevře stránku, kde potvrdíte uložené telefonní číslo a zadáte kód, který vám na něj pošleme v SMS. Dvoufázové ověření se pak vypne, dokud ho znovu nenastavíte s novým klíčem.
recovery-request-button = Poslat odkaz pro obnovení
recovery-link-sent = Pokud má adresa účet se zapnutým OTP, poslali jsme na ni odkaz. Platí 30 minut.
register-title = Založení účtu
register-password-hint = Alespoň 10 znaků.
register-phone-optional = (nepovinné, později potřebné pro dvoufázové ověření)
phone-hint-format = Mezinárodní tvar, například +420 601 123 456.
register-button = Založit účet
password-choose = Zvolte heslo.
register-done = Účet je založen. Přihlašujeme vás…

## Stránka účtu

sign-out = Odhlásit se
suspended-title = Nastavte znovu dvoufázové ověření
suspended-text = Dvoufázové ověření (OTP) je u tohoto účtu pozastavené po obnovení přístupu bez klíčenky nebo po zásahu podpory. Dokud ho znovu nenastavíte, přihlásí se kdokoli jen s vaším heslem. Nastavte ho hned s novým klíčem: kódy ze staré klíčenky už nefungují.
suspended-button = Znovu nastavit OTP…
basic-title = Základní nastavení
email-term = E-mail
phone-term = Telefon
phone-not-set = Nezadáno
phone-hint = Mezinárodní tvar, například +420 601 123 456. Potřebné pro dvoufázové ověření.
phone-button = Uložit telefonní číslo
phone-missing = Zadejte telefonní číslo.
phone-saved = Uloženo jako { $phone }.
security-title = Zabezpečení účtu
otp-status-label = Dvoufázové ověření (OTP):
otp-status-disabled = Vypnuto
otp-status-pending = Nastavení nedokončeno
otp-status-active = Zapnuto
otp-status-suspended = Pozastaveno
otp-since = Zapnuto od { $time }.
otp-off-intro = Přidejte k přihlášení druhý krok: šestimístný jednorázový kód z ověřovací aplikace (Google Authenticator, Aegis, FreeOTP, Microsoft Authenticator…).
otp-open = Nastavení OTP…
deactivate-intro = Chcete-li dvoufázové ověření vypnout, potvrďte to heslem a aktuálním kódem.
deactivate-button = Vypnout
otp-on = Dvoufázové ověření je zapnuté. Při přihlášení budete požádáni o kód.
otp-off = Dvoufázové ověření je vypnuté.
module-missing-settings = Bezpečnostní modul stránky se nenačetl, proto nastavení dvoufázového ověření není k dispozici. Načtěte stránku znovu.
events-title = Nedávné bezpečnostní události
events-none = Zatím žádné události.
event-with-detail = { $text }. Uvedený důvod: „{ $detail }“
event-from = { $text } (z adresy { $client })
event-account_created = Účet založen
event-phone_changed = Telefonní číslo změněno
event-otp_setup = Zahájeno nastavení dvoufázového ověření
event-otp_activated = Dvoufázové ověření zapnuto
event-otp_activation_failed = Zapnutí dvoufázového ověření se nezdařilo (klíč byl zahozen)
event-otp_deactivated = Dvoufázové ověření vypnuto
event-signed_in = Přihlášení
event-code_rejected = Zadán chybný ověřovací kód
event-locked_out = Příliš mnoho chybných kódů: ověřovací kódy jsou na chvíli odmítány
event-recovery_requested = „Nemám přístup ke klíčence OTP“: odeslán e-mail s odkazem pro obnovení
event-recovery_sms_sent = Obnovení přístupu: na uložené telefonní číslo odeslán kód v SMS
event-recovery_sms_not_sent = Obnovení přístupu: SMS se nepodařilo odeslat a nezapočítala se
event-recovery_phone_mismatch = Obnovení přístupu: zadáno jiné než uložené telefonní číslo
event-otp_suspended = Dvoufázové ověření pozastaveno obnovením přístupu bez klíčenky
event-admin_reset = Dvoufázové ověření zrušeno podporou
event-recovery_code_used = Místo ověřovacího kódu byl použit záložní kód
event-recovery_codes_regenerated = Vytvořeny nové záložní kódy (staré přestaly platit)

## Dialog nastavení OTP

setup-title = Nastavení OTP
setup-scan = Naskenujte tento QR kód svou ověřovací aplikací.
setup-several-devices = Stejný kód teď můžete naskenovat více zařízeními (například telefonem a tabletem): všechna budou ukazovat stejné kódy. Po zapnutí už se sdílený klíč nikdy znovu neukáže.
otp-params = Nebo tento sdílený klíč zadejte do aplikace ručně (časový, { $algorithm }, { $digits } { $digits ->
        [one] číslice
        [few] číslice
        [many] číslice
       *[other] číslic
    }, { $period } s):
setup-key-label = Sdílený klíč
setup-copy-key = Zkopírovat klíč
setup-confirm = Potvrďte heslem a kódem, který aplikace právě ukazuje.
activate-button = Zapnout
setup-restart = Začít znovu
qr-failed = QR kód se nepodařilo vykreslit ({ $reason }); zadejte místo něj sdílený klíč.
key-copied = Klíč zkopírován.
key-copy-refused = Kopírování tu není povolené: klíč je označený, zkopírujte ho klávesnicí.
setup-expired = Platnost tohoto nastavení vypršela. Pro nový klíč stiskněte Začít znovu.
key-unusable = Tento klíč nelze ověřit ({ $reason }). Stiskněte Zrušit a nastavte OTP znovu.
code-follows-device-clock = Tento kód se řídí hodinami vašeho zařízení, které jdou { $drift }, takže by ho server odmítl. Nastavte automatické seřizování času a zadejte nový kód. Nic nebylo odesláno: toto nastavení stále platí.
code-does-not-match = Tento kód nepatří ke klíči, který nastavujete. Zkontrolujte, že aplikace ukazuje právě přidaný účet, a zadejte jeho aktuální kód. Nic nebylo odesláno: toto nastavení stále platí.
activation-failed = { $reason } Pro nový klíč stiskněte Začít znovu.

## Záložní kódy

codes-title = Uložte si záložní kódy
codes-intro = Když přijdete o ověřovací aplikaci, každým z těchto kódů se jednou přihlásíte místo ověřovacího kódu. Ukazují se jen teď: stáhněte si je nebo zkopírujte a uložte mimo toto zařízení, například do správce hesel nebo na papír.
codes-download = Stáhnout (.txt)
codes-copy = Zkopírovat
codes-kept = Kódy mám uložené
codes-done = Pokračovat
codes-save-first = Nejdříve si kódy uložte a pak zaškrtněte „Kódy mám uložené“.
codes-downloaded = Uloženo do stažených souborů jako { $file }.
codes-copied = Kódy zkopírovány.
codes-copy-refused = Kopírování tu není povolené: kódy jsou označené, zkopírujte je klávesnicí.
codes-file-title = Záložní kódy otp-edge pro { $email }
codes-file-made = Vytvořeno { $time }. Každým kódem se jednou přihlásíte místo ověřovacího kódu.
codes-file-new-set = Vytvořením nové sady na stránce účtu všechny tyto kódy přestanou platit.
codes-left = { $left ->
        [one] Zbývá 1 z 10 záložních kódů.
        [few] Zbývají { $left } z 10 záložních kódů.
       *[other] Zbývá { $left } z 10 záložních kódů.
    }
codes-left-few = { $left ->
        [0] Nezbývá žádný záložní kód: níže si vytvořte novou sadu, jinak se bez ověřovací aplikace nepřihlásíte.
        [one] Zbývá už jen 1 záložní kód: níže si vytvořte novou sadu.
        [few] Zbývají už jen { $left } záložní kódy: níže si vytvořte novou sadu.
       *[other] Zbývá už jen { $left } záložních kódů: níže si vytvořte novou sadu.
    }
regenerate-title = Záložní kódy
regenerate-intro = Vytvořte novou sadu deseti záložních kódů, například když jich zbývá málo nebo je mohl vidět někdo další. Staré kódy okamžitě přestanou platit.
regenerate-button = Vytvořit nové záložní kódy
codes-regenerated = Nové záložní kódy jsou vytvořené: staré už neplatí.

## Obnovení přístupu

recovery-loading = Ověřujeme odkaz pro obnovení…
recovery-new-link-title = Požádejte o nový odkaz
recovery-new-link-button = Poslat nový odkaz
no-phone-title = U tohoto účtu není uložené žádné telefonní číslo, proto vám nemůžeme poslat kód v SMS.
no-phone-text = Obraťte se prosím na podporu. Po ověření vaší totožnosti jiným způsobem může dvoufázové ověření vypnout, abyste se mohli přihlásit heslem a nastavit ho znovu.
recovery-intro = Chcete-li dvoufázové ověření prozatím vypnout, potvrďte uložené telefonní číslo, zadejte kód, který vám na něj pošleme v SMS, a projděte kontrolou CAPTCHA. Pak se přihlásíte heslem a dvoufázové ověření znovu nastavíte s novým klíčem.
recovery-phone-title = 1. Potvrďte své telefonní číslo
recovery-phone-on-file = Uložené telefonní číslo končí takto:
recovery-phone-help = Zadejte celé uložené telefonní číslo v mezinárodním tvaru s předvolbou země, například +420 601 123 456.
recovery-phone-button = Poslat mi kód
recovery-phone-missing = Zadejte celé uložené telefonní číslo.
recovery-phone-again = Pro nový kód zadejte uložené telefonní číslo ještě jednou.
sms-step-title = 2. Zadejte kód a potvrďte
sms-resend = Poslat kód znovu
sms-code-label = Kód z SMS
sms-code-help = 6 číslic. Kód platí 10 minut.
sms-confirm-button = Potvrdit
sms-code-resent = Nový kód je na cestě. Platí jen nejnovější kód.
sms-code-wrong = Toto není kód, který jsme vám poslali. Zkontrolujte nejnovější SMS a zadejte jejích 6 číslic, nebo stiskněte Poslat kód znovu.
sms-code-required = { $reason } Stiskněte Poslat kód znovu.
sends-left = Tento odkaz může poslat ještě { $left } { $left ->
        [one] kód
        [few] kódy
        [many] kódu
       *[other] kódů
    }. Platí jen nejnovější kód.
sends-none = Tento odkaz už další kódy poslat nemůže. Pokud žádný nepřišel, požádejte o nový odkaz nebo se obraťte na podporu.
delivery-sending = Posíláme kód na { $phone }…
delivery-queued = Kód je na cestě na { $phone }.{ $late ->
        [yes] {" "}Pokud do několika minut nic nepřijde, stiskněte Poslat kód znovu.
       *[no] {""}
    }
delivery-sent = Kód byl odeslán na { $phone }; měl by za chvíli dorazit.{ $late ->
        [yes] {" "}Pokud do několika minut nic nepřijde, stiskněte Poslat kód znovu.
       *[no] {""}
    }
delivery-delivered = Kód byl doručen na { $phone }.
delivery-failed = SMS na { $phone } se nepodařilo doručit. Zkuste to znovu tlačítkem Poslat kód znovu, a pokud se to opakuje, obraťte se na podporu.
delivery-not_sent = SMS se nepodařilo odeslat a nezapočítala se. Zkuste to znovu tlačítkem Poslat kód znovu.
delivery-other = Stav SMS: { $status }.
captcha-legend = Bezpečnostní kontrola (CAPTCHA)
captcha-dev-box = Nejsem robot (vývojová CAPTCHA)
captcha-dev-help = Vývojová CAPTCHA: tento server běží ve vývojovém režimu, takže zaškrtnutím políčka kontrolou projdete. Ostrý provoz tu ukáže skutečnou CAPTCHA.
captcha-loading = Načítáme CAPTCHA…
captcha-not-configured = CAPTCHA není na tomto serveru nastavená, takže obnovení tu nelze dokončit. Obraťte se prosím na podporu.
captcha-load-failed = CAPTCHA se nepodařilo načíst. Zkontrolujte, že nic neblokuje js.hcaptcha.com, a načtěte stránku znovu.
captcha-unknown = Tato stránka nezná CAPTCHA, kterou tento server používá. Obraťte se prosím na podporu.
captcha-first = Nejdříve projděte kontrolou CAPTCHA.
recovery-done-title = Dvoufázové ověření je pozastavené. Přihlaste se heslem a nastavte OTP znovu.
recovery-done-text = Poslali jsme vám také upozornění e-mailem. Kódy ze ztracené klíčenky už nefungují.
recovery-link-missing = Tato stránka potřebuje odkaz z e-mailu pro obnovení. Otevřete odkaz znovu, nebo si níže požádejte o nový.
recovery-link-incomplete = Tento odkaz je neúplný. Otevřete ho znovu z e-mailu (některé poštovní aplikace dlouhé odkazy zkracují), nebo si níže požádejte o nový.
recovery-load-failed = { $reason } Načtěte stránku znovu a zkuste to ještě jednou.
