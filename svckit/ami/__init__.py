"""The Asterisk Manager Interface (AMI): wire format, a green client, a nameko extension."""

from svckit.ami.client import AmiClient, AmiError, AmiUnavailable, Reply
from svckit.ami.protocol import Message

__all__ = ["AmiClient", "AmiError", "AmiUnavailable", "Message", "Reply"]
