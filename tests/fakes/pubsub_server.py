"""A Pub/Sub Publisher fake on 127.0.0.1 over plain gRPC, built from the request and
response types shipped in google-cloud-pubsub; the real client reaches it through
PUBSUB_EMULATOR_HOST. Like the service, it refuses a publish to a topic that does not
exist (NOT_FOUND) and a message without data or attributes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.pubsub_v1.types import GetTopicRequest, PublishRequest, PublishResponse, Topic

from tests.fakes.grpc_fake import start_grpc_fake

SERVICE = "google.pubsub.v1.Publisher"


@dataclass
class FakePubSub:
    server: grpc.Server
    port: int
    topics: set[str] = field(default_factory=set)
    # Scripted status codes answer the next Publish calls instead.
    script: list[grpc.StatusCode] = field(default_factory=list)
    # (topic, data, attributes, message id) of every message accepted
    published: list[tuple[str, bytes, dict[str, str], str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"


def _handlers(fake: FakePubSub) -> dict[str, grpc.RpcMethodHandler]:
    def publish(request: PublishRequest, context: grpc.ServicerContext) -> PublishResponse:
        with fake.lock:
            scripted = fake.script.pop(0) if fake.script else None
        if scripted is not None:
            context.abort(scripted, f"scripted {scripted.name}")
        if request.topic not in fake.topics:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Resource not found (resource="
                                                     f"{request.topic.split('/')[-1]}).")
        ids = []
        with fake.lock:
            for message in request.messages:
                if not message.data and not message.attributes:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                  "a message needs data or attributes")
                message_id = str(len(fake.published) + 1)
                fake.published.append((request.topic, bytes(message.data),
                                       dict(message.attributes), message_id))
                ids.append(message_id)
        return PublishResponse(message_ids=ids)

    def create_topic(request: Topic, context: grpc.ServicerContext) -> Topic:
        with fake.lock:
            if request.name in fake.topics:
                context.abort(grpc.StatusCode.ALREADY_EXISTS, "Topic already exists")
            fake.topics.add(request.name)
        return Topic(name=request.name)

    def get_topic(request: GetTopicRequest, context: grpc.ServicerContext) -> Topic:
        if request.topic not in fake.topics:
            context.abort(grpc.StatusCode.NOT_FOUND, "Topic not found")
        return Topic(name=request.topic)

    def unary(fn: Callable[..., Any], request_type: Any, response_type: Any) -> (
        grpc.RpcMethodHandler
    ):
        return grpc.unary_unary_rpc_method_handler(
            fn, request_deserializer=request_type.deserialize,
            response_serializer=response_type.serialize)

    return {
        "Publish": unary(publish, PublishRequest, PublishResponse),
        "CreateTopic": unary(create_topic, Topic, Topic),
        "GetTopic": unary(get_topic, GetTopicRequest, Topic),
    }


def start_fake_pubsub() -> FakePubSub:
    return start_grpc_fake(SERVICE, FakePubSub, _handlers)


def stop_fake_pubsub(fake: FakePubSub) -> None:
    fake.server.stop(grace=None)
