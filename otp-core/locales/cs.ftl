# Zprávy serveru otp-edge, čeština: chybové zprávy API (`message` podle
# docs/http-api.md, klíčem je kód `error`), e-maily a SMS.
# Syntaxe Project Fluent (https://projectfluent.org/fluent/guide/). Každé id musí
# existovat i v en.ftl (otp-core/tests/i18n.rs).
# Chybové zprávy jsou části vět: stránky je začnou velkým písmenem a doplní tečku.
# Množné číslo: one = 1, few = 2–4, many = desetinná čísla, other = 0 a 5 a více.

## Chyby toků (otp_core::flows::FlowError)

error-invalid_email = zadejte platnou e-mailovou adresu, například jmeno@example.com
error-weak_password = zvolte heslo, které má alespoň 10 znaků
error-password_too_long = heslo může mít nejvýše 128 znaků
error-invalid_credentials = e-mailová adresa nebo heslo nejsou správné
error-invalid_code = kód není správný nebo už byl použit; počkejte na další kód a zkuste to znovu
error-wrong_sms_code = kód nesouhlasí s kódem, který jsme vám poslali v SMS; zkontrolujte ho a zkuste to znovu
error-malformed_code-empty = zadejte kód, který ukazuje vaše ověřovací aplikace
error-malformed_code-not_digits = kód smí obsahovat jen číslice 0–9
error-malformed_code-wrong_length = kód má { $got } { $got ->
        [one] číslici
        [few] číslice
        [many] číslice
       *[other] číslic
    }; musí jich mít přesně { $expected }
error-malformed_recovery_code-empty = zadejte jeden ze svých záložních kódů
error-malformed_recovery_code-not_in_alphabet = záložní kód obsahuje jen písmena A–Z bez I, L a O a číslice 2–9; zkontrolujte, co jste zadali
error-malformed_recovery_code-wrong_length = záložní kód má 12 znaků (například ABCD-EFGH-JKMN); tento má { $got } { $got ->
        [one] znak
        [few] znaky
        [many] znaku
       *[other] znaků
    }
error-invalid_recovery_code = tento záložní kód není správný nebo už byl použit; každý kód platí jen jednou
error-no_recovery_codes = tento účet nemá žádné nepoužité záložní kódy; použijte kód z ověřovací aplikace nebo „Nemám přístup ke klíčence OTP“
error-challenge_expired = platnost tohoto přihlášení vypršela; přihlaste se znovu heslem
error-not_signed_in = nejdříve se přihlaste
error-invalid_phone = zadejte telefonní číslo v mezinárodním tvaru, se znakem + a předvolbou země
error-phone_required = před zapnutím OTP zadejte v základním nastavení telefonní číslo
error-otp_already_active = OTP už je zapnuté; chcete-li nastavit klíč pro nové zařízení, nejdříve ho vypněte
error-otp_not_pending = nejdříve spusťte nastavení OTP, abyste dostali nový klíč
error-otp_not_active = OTP není zapnuté
error-activation_failed-wrong_password = zapnutí se nezdařilo: heslo není správné. Klíč byl zahozen; spusťte nastavení OTP znovu a naskenujte nový klíč
error-activation_failed-wrong_code = zapnutí se nezdařilo: kód nesouhlasí. Klíč byl zahozen; spusťte nastavení OTP znovu a naskenujte nový klíč
error-activation_failed-expired = zapnutí se nezdařilo: platnost nastavení vypršela. Spusťte nastavení OTP znovu a naskenujte nový klíč
error-too_many_attempts = příliš mnoho pokusů; zkuste to znovu za { $seconds } { $seconds ->
        [one] sekundu
        [few] sekundy
        [many] sekundy
       *[other] sekund
    }
error-link_expired = platnost tohoto odkazu pro obnovení přístupu vypršela nebo už byl použit; požádejte o nový
error-phone_mismatch = toto není telefonní číslo uložené u účtu
error-no_phone_on_file = u tohoto účtu není uložené žádné telefonní číslo; o zrušení OTP požádejte podporu
error-sms_code_required = nejdříve si nechte poslat kód v SMS (kódy platí 10 minut)
error-captcha_failed = ověření CAPTCHA se nezdařilo; zkuste ho prosím znovu
error-admin_auth_required = tento endpoint vyžaduje token v hlavičce Authorization: Bearer
error-admin_forbidden = tento token nesmí používat endpointy podpory
error-invalid_worker = tato kontrola nemá pracovníka s tímto číslem
error-account_not_found = žádný účet nemá tuto e-mailovou adresu
error-invalid_reason = uveďte důvod o délce 1 až 500 znaků; zapíše se do auditního záznamu
error-invalid_language = zvolte jeden z jazyků portálu: en nebo cs
error-locked_out = příliš mnoho chybných pokusů: použijte „Nemám přístup ke klíčence OTP“ nebo požádejte podporu o odemčení
error-busy = tento účet ve stejnou chvíli měnily jiné požadavky; nic se nezměnilo, zkuste to prosím znovu
error-internal_error = na naší straně se něco pokazilo; nic se nezměnilo, zkuste to prosím znovu

## Chyby vrstvy HTTP (edge-api)

error-body_too_large = tělo požadavku je větší než 16 KiB
error-unsupported_media_type = pošlete tělo jako application/json
error-malformed_json = tělo požadavku není platný JSON
error-invalid_field-missing = pole '{ $field }' je povinné
error-invalid_field-unknown = pole '{ $field }' se zde neočekává
error-invalid_field-invalid = pole '{ $field }' není platné
error-invalid_field-type = některé pole má nesprávný typ nebo nemožnou hodnotu
error-invalid_field-not_an_object = tělo musí být objekt JSON
error-not_found = na této adrese nic není
error-method_not_allowed = tato metoda zde není povolená
error-cross_origin = požadavky, které něco mění, musí přicházet z tohoto webu
error-bad_signature = podpis požadavku chybí nebo není správný
error-provider_unavailable = služba, na které závisíme, neodpověděla; nic se nezměnilo, zkuste to prosím znovu

## E-maily: { $issuer } je název portálu, { $link } adresa URL

mail-already-registered-subject = Někdo se pokusil založit účet s vaší adresou
mail-already-registered-body =
    Pro tuto e-mailovou adresu už účet existuje, proto nebylo nic založeno. Pokud jste to byli vy, přihlaste se svým heslem. Pokud nemáte svou klíčenku OTP, použijte na přihlašovací stránce „Nemám přístup ke klíčence OTP“. Pokud jste to nebyli vy, můžete tento e-mail ignorovat.

mail-locked-subject = Několik chybných přihlašovacích kódů u vašeho účtu
mail-locked-body =
    Někdo u vašeho účtu zadal několik chybných jednorázových kódů, proto jsou kódy na chvíli odmítány. Pokud jste to byli vy, počkejte a zkuste to znovu. Pokud ne, vaše heslo zná někdo další: změňte ho.

mail-recovery-link-subject = Obnovení přístupu k vašemu účtu
mail-recovery-link-body =
    Někdo (doufejme, že vy) oznámil, že klíčenka OTP k tomuto účtu je ztracená.

    Chcete-li dvoufázové ověření dočasně vypnout, otevřete do 30 minut tento odkaz:
    { $link }

    Potvrdíte své telefonní číslo a zadáte kód, který vám pošleme v SMS. Pokud jste to nebyli vy, tento e-mail ignorujte: nic se nezmění.

mail-suspended-subject = Dvoufázové ověření (OTP) bylo u vašeho účtu vypnuto
mail-suspended-body =
    Dvoufázové přihlašování (OTP) bylo u vašeho účtu pozastaveno { $how ->
        [support] naším týmem podpory
       *[recovery] po obnovení přístupu bez klíčenky
    }. Při příštím přihlášení stačí heslo a poté budete vyzváni, abyste OTP znovu nastavili s novým klíčem.

    Pokud jste to nebyli vy, ihned kontaktujte podporu.

mail-recovery-code-used-subject = K přihlášení byl použit záložní kód
mail-recovery-code-used-body =
    Někdo se přihlásil k vašemu účtu jedním z vašich záložních kódů místo kódu z ověřovací aplikace. Tento kód už nefunguje. { $left ->
        [0] Nezbývá vám žádný záložní kód: hned si na stránce účtu vytvořte novou sadu, jinak se bez ověřovací aplikace nepřihlásíte.
        [one] Zbývá vám 1 záložní kód. Vytvořte si na stránce účtu novou sadu.
        [few] Zbývají vám { $left } záložní kódy.
        [many] Zbývá vám { $left } záložního kódu.
       *[other] Zbývá vám { $left } záložních kódů.
    } Pokud jste to nebyli vy, přihlaste se, změňte si heslo a vytvořte novou sadu záložních kódů.

## SMS: bez diakritiky, aby se zpráva vešla do jedné SMS (GSM 7 bitů: 160 znaků;
## s diakritikou UCS-2: 70 znaků) — tak je píší i české banky a operátoři.

sms-recovery-code = { $code } je kod pro obnoveni pristupu k uctu { $issuer }. Plati 10 minut. Nikomu ho nesdelujte.
