"""SMS through SMS.ru's HTTP API (`POST https://sms.ru/sms/send`, JSON answers).

SMS.ru answers HTTP 200 with `status` OK/ERROR and a numeric `status_code`, overall and per
number; the codes that mean something to an operator are mapped to clear messages.
"""

from __future__ import annotations

import httpx

from src.application.errors import NotificationFailed

SMSRU_URL = "https://sms.ru/sms/send"

# status_code -> what it means (SMS.ru's documented codes)
_ERRORS = {
    200: "wrong SMSRU_API_ID",
    201: "not enough money on the SMS.ru account",
    202: "wrong recipient number",
    203: "empty message text",
    204: "sender name not approved by SMS.ru",
    205: "message too long",
    206: "the account's daily message limit is reached",
    207: "SMS.ru has no route to this number",
    208: "wrong send time",
    209: "the number is on the account's stop list",
    220: "SMS.ru is temporarily unavailable, try again later",
    230: "too many messages to this number today",
    231: "too many identical messages to this number this minute",
    232: "too many identical messages to this number today",
    300: "wrong SMSRU_API_ID (token expired)",
    301: "wrong SMSRU_API_ID",
    302: "the SMS.ru account is not confirmed",
}


def smsru_number(phone: str) -> str:
    """SMS.ru wants digits with the country code: `+7 916 111-22-33`, `89161112233` and
    `9161112233` are all `79161112233`."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) == 10:
        return "7" + digits
    if len(digits) == 11 and digits.startswith("8"):
        return "7" + digits[1:]
    return digits


class SmsRuSender:
    def __init__(
        self,
        api_id: str,
        client: httpx.AsyncClient | None = None,
        url: str = SMSRU_URL,
        sender: str | None = None,
    ) -> None:
        self.api_id = api_id
        self.url = url
        self.sender = sender
        self._client = client or httpx.AsyncClient(timeout=15.0)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send_sms(self, to: str, text: str, code: str | None = None) -> None:
        number = smsru_number(to)
        form = {"api_id": self.api_id, "to": number, "msg": text, "json": "1"}
        if self.sender:
            form["from"] = self.sender
        try:
            response = await self._client.post(self.url, data=form)
        except httpx.HTTPError as exc:
            raise NotificationFailed(f"sms: SMS.ru unreachable ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise NotificationFailed(f"sms: SMS.ru answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise NotificationFailed("sms: SMS.ru answered something that is not JSON") from exc
        if not isinstance(body, dict):
            raise NotificationFailed("sms: SMS.ru answered an unexpected shape")
        per_number = (body.get("sms") or {}).get(number) if body.get("status") == "OK" else None
        answer = per_number if isinstance(per_number, dict) else body
        if answer.get("status") == "OK":
            return
        raise NotificationFailed(f"sms: {_describe(answer)}")


def _describe(answer: dict[str, object]) -> str:
    try:
        status_code = int(str(answer.get("status_code")))
    except ValueError:
        status_code = 0
    reason = _ERRORS.get(status_code) or str(answer.get("status_text") or "SMS.ru refused")
    return f"{reason} (SMS.ru status {status_code})"
