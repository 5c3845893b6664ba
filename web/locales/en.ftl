# otp-edge pages, English. Project Fluent syntax (https://projectfluent.org/fluent/guide/).
# Every id here must exist in cs.ftl too, and every text a page shows comes from here or
# from the server (tests/tests/catalogs.rs, tests/browser/harness.mjs).

## Every page

brand = otp-edge account portal
language-label = Language
language-cs = Čeština
language-en = English
title-sign-in = Sign in · otp-edge
title-account = Your account · otp-edge
title-recovery = I lost my OTP keychain · otp-edge
email-label = E-mail address
password-label = Password
phone-label = Phone number
code-label = Verification code
back-button = Back
cancel-button = Cancel
sign-in-link = Sign in
email-missing = Enter your e-mail address.
email-invalid = Enter a valid e-mail address, like name@example.com.
password-missing = Enter your password.
error-network = Could not reach the server. Check your connection and try again.
error-http-status = The server answered with status { $status }. Please try again.
module-missing = The page's security module did not load. Reload the page and try again.
countdown = The code changes in { $seconds } s.
drift-ahead = { $seconds } { $seconds ->
        [one] second
       *[other] seconds
    } ahead of the server
drift-behind = { $seconds } { $seconds ->
        [one] second
       *[other] seconds
    } behind the server
drift-warning = Your device clock is { $drift }. Codes from an authenticator app on this device may be refused: set the clock to update automatically (network time).

## Codes as typed (the browser module's reasons)

code-empty = Enter the code shown in your authenticator app.
code-not_digits = The code may contain only the digits 0-9.
code-wrong_length = The code has { $got } { $got ->
        [one] digit
       *[other] digits
    }; it must have exactly { $expected }.
recovery-code-empty = Enter one of your recovery codes.
recovery-code-not_in_alphabet = A recovery code has only the letters A-Z and the digits 2-9, without I, L and O; check what you typed.
recovery-code-wrong_length = A recovery code has 12 characters (like ABCD-EFGH-JKMN); this one has { $got }.

## Sign-in page

sign-in-title = Sign in
sign-in-button = Sign in
otp-step-title = Enter your verification code
otp-step-intro = Open your authenticator app and enter the 6-digit code it shows for this account.
verify-button = Verify
use-recovery-code = Use a recovery code
recovery-code-title = Sign in with a recovery code
recovery-code-label = Recovery code
recovery-code-hint = One of the ten codes you saved when you turned on two-step verification, like ABCD-EFGH-JKMN. Each code works once; two-step verification stays on.
recovery-code-button = Sign in with this code
lost-keychain = I lost my OTP keychain
recovery-request-title = Recover access by e-mail and text message
recovery-request-intro = We will e-mail you a link. It opens a page where you confirm the phone number on file, type a code we text to it, and two-step verification is then turned off until you set it up again with a new key.
recovery-request-button = Send recovery link
recovery-link-sent = If the address has an account with OTP, we've sent a link. It is valid for 30 minutes.
register-title = Create account
register-password-hint = At least 10 characters.
register-phone-optional = (optional, needed later for two-step verification)
phone-hint-format = International format, for example +81 90 1234 5678.
register-button = Create account
password-choose = Choose a password.
register-done = Account created. Signing you in…

## Account page

sign-out = Sign out
suspended-title = Set up two-step verification again
suspended-text = Two-step verification (OTP) is suspended on this account, after “I lost my OTP keychain” or a reset by support. Until you set it up again, your password alone lets anyone sign in. Set it up now with a new key: codes from the old keychain no longer work.
suspended-button = Set up OTP again…
basic-title = Basic settings
email-term = E-mail
phone-term = Phone
phone-not-set = Not set
phone-hint = International format, for example +81 90 1234 5678. Needed for two-step verification.
phone-button = Save phone number
phone-missing = Enter a phone number.
phone-saved = Saved as { $phone }.
security-title = Account security
otp-status-label = Two-step verification (OTP):
otp-status-disabled = Off
otp-status-pending = Setup not finished
otp-status-active = On
otp-status-suspended = Suspended
otp-since = Active since { $time }.
otp-off-intro = Add a second step to sign-in: a 6-digit code from an authenticator app (Google Authenticator, Aegis, FreeOTP, Microsoft Authenticator…).
otp-open = OTP setting…
deactivate-intro = To turn two-step verification off, confirm with your password and a current code.
deactivate-button = Deactivate
otp-on = Two-step verification is on. You will be asked for a code when you sign in.
otp-off = Two-step verification is off.
module-missing-settings = The page's security module did not load: two-step verification settings are unavailable. Reload the page.
events-title = Recent security events
events-none = No events yet.
event-with-detail = { $text }. Reason given: “{ $detail }”
event-from = { $text } (from { $client })
event-account_created = Account created
event-phone_changed = Phone number changed
event-otp_setup = Two-step verification setup started
event-otp_activated = Two-step verification turned on
event-otp_activation_failed = Two-step verification activation failed (the key was discarded)
event-otp_deactivated = Two-step verification turned off
event-signed_in = Signed in
event-code_rejected = A wrong verification code was entered
event-locked_out = Too many wrong codes: verification codes are refused for a while
event-recovery_requested = “I lost my OTP keychain”: a recovery link was e-mailed
event-recovery_sms_sent = Recovery: a code was texted to the phone on file
event-recovery_sms_not_sent = Recovery: the text message could not be sent and was not counted
event-recovery_phone_mismatch = Recovery: a phone number that is not the one on file was typed
event-otp_suspended = Two-step verification suspended by the lost-keychain recovery
event-admin_reset = Two-step verification reset by support
event-recovery_code_used = A recovery code was used instead of a verification code
event-recovery_codes_regenerated = New recovery codes were made (the old ones stopped working)

## The OTP setting dialog

setup-title = OTP setting
setup-scan = Scan this QR code with your authenticator app.
setup-several-devices = You may scan the same code with several devices now (for example a phone and a tablet): they will all show the same codes. After activation the key is never shown again.
otp-params = Or type this key into the app by hand (time-based, { $algorithm }, { $digits } digits, { $period } s):
setup-key-label = Setup key
setup-copy-key = Copy key
setup-confirm = Confirm with your password and the code your app shows now.
activate-button = Activate
setup-restart = Start again
qr-failed = The QR code could not be drawn ({ $reason }); type the key instead.
key-copied = Key copied.
key-copy-refused = Copying is not allowed here: the key is selected, copy it with your keyboard.
setup-expired = This setup has expired. Press Start again for a new key.
key-unusable = This key cannot be checked ({ $reason }). Press Cancel and set up again.
code-follows-device-clock = This code follows your device clock, which is { $drift }, so the server would refuse it. Set the clock to update automatically, then enter the new code. Nothing was sent: this setup is still valid.
code-does-not-match = This code does not match the key being set up. Check that your app shows the account you just added and enter its current code. Nothing was sent: this setup is still valid.
activation-failed = { $reason } Press Start again for a new key.

## Recovery codes

codes-title = Save your recovery codes
codes-intro = If you lose your authenticator, each of these codes signs you in once instead of a verification code. This is the only time they are shown: download or copy them and keep them apart from this device, for example in a password manager or on paper.
codes-download = Download (.txt)
codes-copy = Copy
codes-kept = I have saved these codes
codes-done = Continue
codes-save-first = Save the codes first, then tick “I have saved these codes”.
codes-downloaded = Saved as { $file } in your downloads.
codes-copied = Codes copied.
codes-copy-refused = Copying is not allowed here: the codes are selected, copy them with your keyboard.
codes-file-title = otp-edge recovery codes for { $email }
codes-file-made = Made { $time }. Each code signs you in once instead of a verification code.
codes-file-new-set = Making a new set on the account page ends all of these.
codes-left = { $left } of 10 recovery codes left.
codes-left-few = { $left ->
        [0] No recovery codes left: make a new set below, or you will have no way in without your authenticator.
        [one] Only 1 recovery code left: make a new set below.
       *[other] Only { $left } recovery codes left: make a new set below.
    }
regenerate-title = Recovery codes
regenerate-intro = Make a new set of ten recovery codes, for example when few are left or the saved ones may have been seen by someone else. The old codes stop working at once.
regenerate-button = Make new recovery codes
codes-regenerated = New recovery codes made: the old ones no longer work.

## Recovery page

recovery-loading = Checking your recovery link…
recovery-new-link-title = Ask for a new link
recovery-new-link-button = Send a new link
no-phone-title = There is no phone number on file for this account, so we cannot text you a code.
no-phone-text = Please contact support. After checking who you are by other means, they can turn off two-step verification so that you can sign in with your password and set it up again.
recovery-intro = To turn off two-step verification for now, confirm the phone number on file, type the code we text to it, and pass the CAPTCHA. You will then sign in with your password and set up two-step verification again with a new key.
recovery-phone-title = 1. Confirm your phone number
recovery-phone-on-file = The phone number on file ends like this:
recovery-phone-help = Type the full phone number on file, in international format with the country code, for example +81 90 1234 5678.
recovery-phone-button = Text me a code
recovery-phone-missing = Type the full phone number on file.
recovery-phone-again = Type the phone number on file again to send a new code.
sms-step-title = 2. Enter the code and confirm
sms-resend = Resend code
sms-code-label = Code from the text message
sms-code-help = 6 digits. The code is valid for 10 minutes.
sms-confirm-button = Confirm
sms-code-resent = A new code is on its way. Only the newest code works.
sms-code-wrong = This is not the code we texted. Check the newest text message and type its 6 digits, or press Resend code.
sms-code-required = { $reason } Press Resend code.
sends-left = This link can send { $left } more { $left ->
        [one] code
       *[other] codes
    }. Only the newest code works.
sends-none = This link cannot send more codes. If none arrived, ask for a new link or contact support.
delivery-sending = Sending a code to { $phone }…
delivery-queued = The code is on its way to { $phone }.{ $late ->
        [yes] {" "}If nothing arrives within a few minutes, press Resend code.
       *[no] {""}
    }
delivery-sent = The code was sent to { $phone }; it should arrive in a moment.{ $late ->
        [yes] {" "}If nothing arrives within a few minutes, press Resend code.
       *[no] {""}
    }
delivery-delivered = The code was delivered to { $phone }.
delivery-failed = The text message to { $phone } could not be delivered. Press Resend code to try again, or contact support if it keeps failing.
delivery-not_sent = The text message could not be sent, and it was not counted. Press Resend code to try again.
delivery-other = Text message status: { $status }.
captcha-legend = Security check (CAPTCHA)
captcha-dev-box = I am not a robot (development CAPTCHA)
captcha-dev-help = Development CAPTCHA: this server runs in development mode, so ticking the box passes the check. A deployment shows a real CAPTCHA here.
captcha-loading = Loading the CAPTCHA…
captcha-not-configured = The CAPTCHA is not configured on this server, so recovery cannot finish here. Please contact support.
captcha-load-failed = The CAPTCHA could not be loaded. Check that nothing blocks js.hcaptcha.com and reload the page.
captcha-unknown = This page does not know the CAPTCHA this server uses. Please contact support.
captcha-first = Complete the CAPTCHA first.
recovery-done-title = OTP is suspended. Sign in with your password and set up OTP again.
recovery-done-text = We also e-mailed you a notice. Codes from the lost keychain no longer work.
recovery-link-missing = This page needs the link from the recovery e-mail. Open the link again, or ask for a new one below.
recovery-link-incomplete = This link is incomplete. Open it again from the e-mail (some mail apps cut long links), or ask for a new one below.
recovery-load-failed = { $reason } Reload the page to try again.
