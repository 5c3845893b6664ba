# otp-edge server messages, English: API error messages (the `message` of
# docs/http-api.md, keyed by the `error` code), e-mails and text messages.
# Project Fluent syntax (https://projectfluent.org/fluent/guide/). Every id here must
# exist in cs.ftl too (otp-core/tests/i18n.rs).
# Error messages are sentence fragments: the pages capitalise them and add the full stop.

## Errors of the flows (otp_core::flows::FlowError)

error-invalid_email = enter a valid e-mail address, like name@example.com
error-weak_password = choose a password of at least 10 characters
error-password_too_long = the password must have at most 128 characters
error-invalid_credentials = the e-mail address or password is wrong
error-invalid_code = the code is wrong or was already used; wait for the next code and try again
error-wrong_sms_code = the code does not match the one we texted; check it and try again
error-malformed_code-empty = enter the code shown in your authenticator app
error-malformed_code-not_digits = the code may contain only the digits 0-9
error-malformed_code-wrong_length = the code has { $got } { $got ->
        [one] digit
       *[other] digits
    }; it must have exactly { $expected }
error-malformed_recovery_code-empty = enter one of your recovery codes
error-malformed_recovery_code-not_in_alphabet = a recovery code has only the letters A-Z and the digits 2-9, without I, L and O; check what you typed
error-malformed_recovery_code-wrong_length = a recovery code has 12 characters (like ABCD-EFGH-JKMN); this one has { $got }
error-invalid_recovery_code = this recovery code is wrong or was already used; each code works once
error-no_recovery_codes = this account has no unused recovery codes; use the code from your authenticator app or "I lost my OTP keychain"
error-challenge_expired = this sign-in has expired; sign in again with your password
error-not_signed_in = sign in first
error-invalid_phone = enter the phone number in international form, starting with + and the country code
error-phone_required = set a phone number in Basic settings before activating OTP
error-otp_already_active = OTP is already active; deactivate it first to set up a new device key
error-otp_not_pending = start OTP setting first to get a new key
error-otp_not_active = OTP is not active
error-activation_failed-wrong_password = activation failed: the password is wrong. The key was discarded; start OTP setting again and scan the new key
error-activation_failed-wrong_code = activation failed: the code does not match. The key was discarded; start OTP setting again and scan the new key
error-activation_failed-expired = activation failed: the setup expired. Start OTP setting again and scan the new key
error-too_many_attempts = too many attempts; try again in { $seconds } { $seconds ->
        [one] second
       *[other] seconds
    }
error-link_expired = this recovery link has expired or was already used; ask for a new one
error-phone_mismatch = this is not the phone number on file for the account
error-no_phone_on_file = there is no phone number on file for this account; contact support to reset OTP
error-sms_code_required = request a text message code first (codes expire after 10 minutes)
error-captcha_failed = the CAPTCHA check failed; please try it again
error-admin_auth_required = this endpoint needs an Authorization: Bearer token
error-admin_forbidden = this token may not use the support endpoints
error-invalid_worker = this check has no worker with that number
error-account_not_found = no account has this e-mail address
error-invalid_reason = give a reason of 1 to 500 characters; it goes into the audit log
error-invalid_language = choose one of the languages the portal offers: en or cs
error-locked_out = too many wrong attempts: use "I lost my OTP keychain" or contact support to unlock
error-busy = this account was being changed by other requests at the same moment; nothing was changed, please try again
error-internal_error = something went wrong on our side; nothing was changed, please try again

## Errors of the HTTP layer (edge-api)

error-body_too_large = the request body is larger than 16 KiB
error-unsupported_media_type = send the body as application/json
error-malformed_json = the request body is not valid JSON
error-invalid_field-missing = the field '{ $field }' is required
error-invalid_field-unknown = the field '{ $field }' is not expected here
error-invalid_field-invalid = the field '{ $field }' is not valid
error-invalid_field-type = a field has the wrong type or an impossible value
error-invalid_field-not_an_object = the body must be a JSON object
error-not_found = there is nothing at this address
error-method_not_allowed = this method is not allowed here
error-cross_origin = requests that change state must come from this site
error-bad_signature = the request signature is missing or wrong
error-provider_unavailable = a service we rely on did not answer; nothing was changed, please try again

## E-mails: { $issuer } is the portal's name, { $link } a URL

mail-already-registered-subject = Someone tried to create an account with your address
mail-already-registered-body =
    An account already exists for this e-mail address, so nothing was created. If it was you, sign in with your password. If you lost your OTP keychain, use "I lost my OTP keychain" on the sign-in page. If it was not you, you can ignore this e-mail.

mail-locked-subject = Several wrong sign-in codes on your account
mail-locked-body =
    Someone entered several wrong one-time codes for your account, so codes are refused for a while. If this was you, wait and try again. If it was not, your password is known to someone else: change it.

mail-recovery-link-subject = Recover access to your account
mail-recovery-link-body =
    Someone (hopefully you) said the OTP keychain for this account is lost.

    To turn OTP off temporarily, open this link within 30 minutes:
    { $link }

    You will confirm your phone number and enter a code we text you. If this was not you, ignore this e-mail: nothing changes.

mail-suspended-subject = OTP was turned off on your account
mail-suspended-body =
    Two-factor sign-in (OTP) was suspended on your account { $how ->
        [support] by our support team
       *[recovery] after the lost-keychain recovery
    }. Your next sign-in needs only your password and then asks you to set up OTP again with a new key.

    If this was not you, contact support at once.

mail-recovery-code-used-subject = A recovery code was used to sign in
mail-recovery-code-used-body =
    Someone signed in to your account with one of your recovery codes instead of a code from the authenticator app. That code no longer works. { $left ->
        [0] You have no recovery codes left: make a new set on the account page now, or you will have no way in without your authenticator.
        [one] You have 1 recovery code left. Make a new set on the account page.
       *[other] You have { $left } recovery codes left.
    } If this was not you, sign in, change your password and make a new set of recovery codes.

## Text messages

sms-recovery-code = { $code } is your { $issuer } recovery code. It expires in 10 minutes. Never share it.
