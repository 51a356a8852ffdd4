"""Keys on AUTOMATIC1111's routes: the usual headers, or HTTP Basic with the key as the password (what
`--api-auth` clients send). No key at all, or SillyTavern's `Basic` of nothing or of "undefined", is refused
(401) unless the operator names a key such requests act as (SFUMATO_A1111_ANONYMOUS_KEY). The kernel's one
authenticating dependency does it (sfumato/http/access.py)."""

from typing import Annotated

from fastapi import Depends

from sfumato.domain.keys import ApiKey
from sfumato.http.access import key_of
from sfumato.services.access import Access

ReadingKey = Annotated[ApiKey, Depends(key_of(Access.READ, basic=True, anonymous=True))]
GeneratingKey = Annotated[ApiKey, Depends(key_of(Access.GENERATE, basic=True, anonymous=True))]
